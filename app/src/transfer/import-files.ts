// Turns dropped or chosen files (.conf and .zip) into named config texts ready
// for the store, and says why each file that cannot be used was refused.
import { decodeConfigBytes, formatDiagnostic } from '../../../helper/src/config/index.js';
import { tunnelNameFromFileName } from '../store/tunnel-name.js';
import { isZip, readConfigArchive } from './zip.js';

export interface ImportCandidate {
  /** Where it came from, for messages: "wg0.conf" or "all.zip/home/wg0.conf". */
  readonly source: string;
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
    else addConfig(sources, fileName, fileName, data);
  }
  return sources;
}

function addArchive(sources: ImportSources, fileName: string, data: Uint8Array): void {
  let contents;
  try {
    contents = readConfigArchive(data);
  } catch (error) {
    sources.failed.push({ fileName, message: `not a readable zip archive: ${(error as Error).message}` });
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
  sources.candidates.push({ source, name: tunnelNameFromFileName(fileName), text: decoded.text });
}
