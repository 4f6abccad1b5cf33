// A lab owns everything one test creates (namespaces, veth links, tunnel
// interface names, processes, a scratch directory) and removes all of it at
// cleanup, whether the test passed or not.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { BackgroundProcess } from './background.js';
import { removeLeftovers } from './leftovers.js';
import { uniqueName } from './names.js';
import { addNamespace, deleteNamespace, Namespace } from './namespace.js';
import { assertPreconditions } from './preconditions.js';
import { createVethLink, type VethLink } from './veth.js';
import { uapiSocketPath } from './wireguard.js';

export class Lab {
  private readonly namespaces: string[] = [];
  private readonly processes: BackgroundProcess[] = [];
  private readonly tunnelInterfaces: string[] = [];
  private links = 0;

  private constructor(readonly dir: string) {}

  static async create(): Promise<Lab> {
    assertPreconditions();
    await removeLeftovers();
    return new Lab(mkdtempSync(join(tmpdir(), 'wirefly-lab-')));
  }

  async namespace(): Promise<Namespace> {
    const name = uniqueName();
    this.namespaces.push(name);
    await addNamespace(name);
    return new Namespace(name, (process) => this.processes.push(process));
  }

  /** Deletes one of the lab's namespaces now, with whatever is in it, instead of at cleanup. */
  async deleteNamespace(ns: Namespace): Promise<void> {
    const index = this.namespaces.indexOf(ns.name);
    if (index < 0) throw new Error(`${ns.name} is not this lab's namespace`);
    this.namespaces.splice(index, 1);
    await deleteNamespace(ns.name);
  }

  link(a: Namespace, b: Namespace): Promise<VethLink> {
    this.links += 1;
    return createVethLink(a, b, this.links);
  }

  /** A tunnel interface name unique across namespaces, whose UAPI socket cleanup removes. */
  tunnelInterfaceName(): string {
    const name = uniqueName();
    this.tunnelInterfaces.push(name);
    return name;
  }

  /** Every process started in this lab, with what it wrote. */
  startedProcesses(): readonly BackgroundProcess[] {
    return this.processes;
  }

  async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<void> | void): Promise<void> => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    await Promise.all(this.processes.map((process) => attempt(async () => void (await process.stop()))));
    for (const name of this.namespaces) await attempt(() => deleteNamespace(name));
    for (const ifname of this.tunnelInterfaces) {
      await attempt(() => rmSync(uapiSocketPath(ifname), { force: true }));
    }
    await attempt(() => rmSync(this.dir, { recursive: true, force: true }));
    if (errors.length > 0) throw new AggregateError(errors, 'lab cleanup failed');
  }
}

const LOG_DIRECTORY = join(tmpdir(), 'wirefly-integration-logs');
const LOG_TAIL_LINES = 40;
/** Tests of different pairs share names; each failure gets its own directory. */
let failures = 0;

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Keeps the processes' logs of a failed test and points the test output at them. */
function reportLogs(t: TestContext, lab: Lab): void {
  failures += 1;
  const dir = join(LOG_DIRECTORY, `${process.pid}-${failures}-${t.name.replace(/[^A-Za-z0-9_.-]+/g, '_')}`);
  mkdirSync(dir, { recursive: true });
  lab.startedProcesses().forEach((started, i) => {
    const file = join(dir, `${i}.log`);
    writeFileSync(file, `${started.label}\n${started.describeExit()}\n\n${started.log()}`);
    t.diagnostic(`${started.label} (${started.describeExit()}), full log in ${file}, last lines:`);
    for (const line of tail(started.log(), LOG_TAIL_LINES).split('\n')) t.diagnostic(line);
  });
}

/** Runs a test body in a fresh lab; on failure shows the processes' logs; always cleans up. */
export async function withLab<T>(t: TestContext, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await Lab.create();
  try {
    return await body(lab);
  } catch (error) {
    reportLogs(t, lab);
    throw error;
  } finally {
    await lab.cleanup();
  }
}
