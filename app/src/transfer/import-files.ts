// Turns dropped or chosen files (.conf and .zip) into named config texts ready
// for the store, and says why each file that cannot be used was refused.
import { decodeConfigBytes, formatDiagnostic } from '../../../helper/src/config/index.js';
import { tunnelNameFromFileName } from '../store/tunnel-name.js';
import { isZip, readConfigArchive } from './zip.js';

export interface ImportCandidate {
  /** Where it came from, for messages: "wg0.conf" or "all.zip/home/wg0.conf". */
  readonly source: string;
  /** Its file name inside the archive, or the file's own. */
  readonly fileName: string;
  /** The name it would get if free. */
  readonly name: string;
  readonly text: string;
}

export interface ImportFailure {
  readonly fileName: string;
  readonly message: string;
}

export interface ImportSources {
  readonly candidates: ImportCandidate[];
  readonly failed: ImportFailure[];
}

export function collectImportSources(
  files: readonly { readonly fileName: string; readonly data: Uint8Array }[],
): ImportSources {
  const sources: ImportSources = { candidates: [], failed: [] };
  for (const { fileName, data } of files) {
    if (isZip(data)) addArchive(sources, fileName, data);
    else if (fileName.toLowerCase().endsWith('.zip'))
      sources.failed.push({
        fileName,
        message: 'the archive is damaged or is not a zip archive at all: nothing in it could be read',
      });
    else addConfig(sources, fileName, fileName, data);
  }
  return { ...sources, candidates: withUniqueSources(sources.candidates) };
}

function addArchive(sources: ImportSources, fileName: string, data: Uint8Array): void {
  let contents;
  try {
    contents = readConfigArchive(data);
  } catch (error) {
    sources.failed.push({
      fileName,
      message: `the archive is damaged and could not be read: ${(error as Error).message}`,
    });
    return;
  }
  for (const { path, message } of contents.skipped) sources.failed.push({ fileName: `${fileName}/${path}`, message });
  if (contents.entries.length === 0 && contents.skipped.length === 0) {
    sources.failed.push({ fileName, message: 'the archive has no .conf files' });
  }
  for (const entry of contents.entries) addConfig(sources, `${fileName}/${entry.path}`, entry.path, entry.data);
}

function addConfig(sources: ImportSources, source: string, fileName: string, data: Uint8Array): void {
  if (!fileName.toLowerCase().endsWith('.conf')) {
    sources.failed.push({ fileName: source, message: 'only .conf files and .zip archives of them can be imported' });
    return;
  }
  const decoded = decodeConfigBytes(data);
  if (!decoded.ok) {
    sources.failed.push({ fileName: source, message: decoded.errors.map(formatDiagnostic).join('; ') });
    return;
  }
  sources.candidates.push({ source, fileName, name: tunnelNameFromFileName(fileName), text: decoded.text });
}

/** Two files of one name both stay answerable: the second is "wg0.conf (2)". */
function withUniqueSources(candidates: readonly ImportCandidate[]): ImportCandidate[] {
  const seen = new Set<string>();
  return candidates.map((candidate) => {
    let source = candidate.source;
    for (let n = 2; seen.has(source); n++) source = `${candidate.source} (${n})`;
    seen.add(source);
    return source === candidate.source ? candidate : { ...candidate, source };
  });
}
