// The crash journal: a write-ahead log of undo steps. Every change the helper
// makes to the system is preceded by a durable record (appended and fsynced)
// of how to take it back, so a helper that is killed at any instant leaves
// enough on disk for the next one to put the system back as it found it.
//
// The journal does not know what a step means; its owner hands it a function
// that performs one, and that function must be idempotent: a step may be
// recorded and the helper killed before the change itself was made, and an
// undo interrupted by a crash is run again from the start.
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { syncDirectory } from '../os/atomic-file.js';

/** Performs one recorded undo step; must accept a step whose change was never made. */
export type UndoStepPerformer = (step: unknown) => Promise<void>;

const SUFFIX = '.journal';

/**
 * The first element of a line that takes back an earlier record of its change
 * set, by index: the owner undid that change itself (a host route moved to a
 * new gateway), and neither undo nor recovery is to perform it again. Steps are
 * objects and this line an array, so that neither is ever read as the other.
 */
const RETIRED = 'retired';

export interface RecoveryReport {
  /** Labels of the interrupted change sets that were undone. */
  readonly recovered: readonly string[];
  /** How many steps were performed in all. */
  readonly steps: number;
}

export class Journal {
  private readonly active = new Set<string>();
  private sequence = 0;

  private constructor(
    readonly dir: string,
    private readonly perform: UndoStepPerformer,
  ) {}

  /** Opens (creating, root-only) the journal directory. */
  static async open(dir: string, perform: UndoStepPerformer): Promise<Journal> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new Journal(dir, perform);
  }

  /**
   * Undoes every change set left in the directory by a previous helper that did
   * not finish its undo (crashed, killed), newest first. Change sets begun by this
   * Journal are not touched. A step that fails does not stop the others; the
   * failures are thrown together afterwards and their change sets are kept for
   * the next attempt.
   */
  async recover(): Promise<RecoveryReport> {
    const files = (await readdir(this.dir))
      .filter((name) => name.endsWith(SUFFIX) && !this.active.has(join(this.dir, name)))
      .sort()
      .reverse();
    const recovered: string[] = [];
    const errors: unknown[] = [];
    let steps = 0;
    for (const name of files) {
      const path = join(this.dir, name);
      try {
        const records = parseRecords(await readFile(path, 'utf8'));
        steps += records.length;
        const failures = await performInReverse(records, this.perform);
        if (failures.length > 0) throw new AggregateError(failures, `undo of ${path} failed`);
        await removeDurably(this.dir, path);
        recovered.push(labelOf(name));
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `journal recovery in ${this.dir} failed`);
    return { recovered, steps };
  }

  /** Starts a change set (one tunnel's changes, say) named `label` for diagnostics. */
  async begin(label: string): Promise<ChangeSet> {
    this.sequence += 1;
    // Sorting the file names sorts change sets by age, so recovery can go newest first.
    const stamp = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${this.sequence}`;
    const safeLabel = label.replace(/[^A-Za-z0-9_.=+-]/g, '_');
    const path = join(this.dir, `${stamp}-${randomBytes(4).toString('hex')}-${safeLabel}${SUFFIX}`);
    const file = await open(path, 'wx', 0o600);
    await syncDirectory(this.dir);
    this.active.add(path);
    return new ChangeSet(path, file, this.perform, () => this.active.delete(path));
  }
}

/** One change set's records: appended before each change, undone together. */
export class ChangeSet {
  private readonly steps: unknown[] = [];
  private readonly retired = new Set<number>();
  private closed = false;

  constructor(
    readonly path: string,
    private readonly file: FileHandle,
    private readonly perform: UndoStepPerformer,
    private readonly release: () => void,
  ) {}

  /** The steps an undo would perform now, oldest first. */
  get recordedSteps(): readonly unknown[] {
    return this.steps.filter((_, index) => !this.retired.has(index));
  }

  /** Makes `step` durable; call it BEFORE making the change it undoes. */
  async record(step: object): Promise<void> {
    if (this.closed) throw new Error(`change set ${this.path} is already undone`);
    if (Array.isArray(step)) throw new TypeError('a journal step is an object, not an array');
    await this.append(step);
    this.steps.push(step);
  }

  /**
   * Durably drops `step` (the very object recorded): its change has been taken
   * back by the caller, so that the set describes only changes that stand.
   * Call it AFTER taking the change back; a crash before it leaves the step to
   * be performed again, which idempotent steps allow.
   */
  async retire(step: object): Promise<void> {
    if (this.closed) throw new Error(`change set ${this.path} is already undone`);
    const index = this.steps.indexOf(step);
    if (index < 0 || this.retired.has(index)) throw new Error(`change set ${this.path} holds no such step to retire`);
    await this.append([RETIRED, index]);
    this.retired.add(index);
  }

  private async append(line: unknown): Promise<void> {
    await this.file.write(`${JSON.stringify(line)}\n`);
    await this.file.datasync();
  }

  /**
   * Performs the recorded steps newest first and then deletes the record. Every
   * step is attempted; if any fails the record is kept (for recovery or a retry)
   * and the failures are thrown together.
   */
  async undo(): Promise<void> {
    const failures = await performInReverse(this.recordedSteps, this.perform);
    if (failures.length > 0) {
      throw new AggregateError(failures, `undo of ${this.path} failed; its journal is kept for recovery`);
    }
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
    await removeDurably(dirname(this.path), this.path);
    this.release();
  }
}

async function performInReverse(steps: readonly unknown[], perform: UndoStepPerformer): Promise<unknown[]> {
  const failures: unknown[] = [];
  for (const step of [...steps].reverse()) {
    try {
      await perform(step);
    } catch (error) {
      failures.push(error);
    }
  }
  return failures;
}

/**
 * One JSON object per line, less those a later retirement line names. A helper
 * killed in the middle of an append leaves a torn last line: a step whose
 * change was never started (the record comes first), or a retirement of a step
 * that is idempotent; either is dropped. A torn line anywhere else means the
 * file is not ours to trust.
 */
function parseRecords(text: string): unknown[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const records: unknown[] = [];
  const retired = new Set<number>();
  lines.forEach((line, index) => {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      if (index !== lines.length - 1) throw new Error(`journal line ${index + 1} is not JSON`, { cause: error });
      return;
    }
    if (!Array.isArray(record)) {
      records.push(record);
      return;
    }
    const [kind, retiredIndex] = record as unknown[];
    if (
      record.length !== 2 ||
      kind !== RETIRED ||
      !Number.isInteger(retiredIndex) ||
      (retiredIndex as number) < 0 ||
      (retiredIndex as number) >= records.length
    ) {
      throw new Error(`journal line ${index + 1} retires no earlier step`);
    }
    retired.add(retiredIndex as number);
  });
  return records.filter((_, index) => !retired.has(index));
}

function labelOf(fileName: string): string {
  // <stamp>-<pid>-<seq>-<random>-<label>.journal
  return fileName.slice(0, -SUFFIX.length).split('-').slice(4).join('-');
}

async function removeDurably(dir: string, path: string): Promise<void> {
  await unlink(path);
  await syncDirectory(dir);
}
