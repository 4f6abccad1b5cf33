// Import from files the person picked or dropped (.conf and .zip, several at
// once) and export everything as one zip. The main process does the unpacking
// and packing; here files become base64 and back.
import { decodeBase64, encodeBase64 } from '../../../helper/src/config/base64.js';
import type { ImportResult, WireflyApi } from '../../../app/src/api/wirefly-api.js';
import type { Stores } from '../state/stores.js';
import { errorMessage } from './errors.js';

export const IMPORT_ACCEPT = '.conf,.zip';

async function readFile(file: File): Promise<{ fileName: string; dataBase64: string }> {
  return { fileName: file.name, dataBase64: encodeBase64(new Uint8Array(await file.arrayBuffer())) };
}

export function describeImport(result: ImportResult): { tone: 'info' | 'error'; text: string }[] {
  const messages: { tone: 'info' | 'error'; text: string }[] = [];
  const count = result.imported.length;
  if (count > 0)
    messages.push({
      tone: 'info',
      text: `Imported ${count === 1 ? 'tunnel' : `${count} tunnels`}: ${result.imported.join(', ')}`,
    });
  for (const failure of result.failed)
    messages.push({ tone: 'error', text: `${failure.fileName}: ${failure.message}` });
  if (count === 0 && result.failed.length === 0)
    messages.push({ tone: 'error', text: 'No tunnel configurations were found in those files.' });
  return messages;
}

export async function importFiles(api: WireflyApi, stores: Stores, files: readonly File[]): Promise<void> {
  const { notify } = stores.ui.getState();
  if (files.length === 0) return;
  try {
    const result = await api.importFiles(await Promise.all(files.map(readFile)));
    for (const message of describeImport(result)) notify(message.tone, message.text);
    const first = result.imported[0];
    if (first !== undefined) stores.tunnels.getState().select(first);
  } catch (error) {
    notify('error', `Import failed: ${errorMessage(error)}`);
  }
}

/** Hands bytes to the browser as a download, which Electron turns into a save dialog. */
export function saveDownload(fileName: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function exportAll(api: WireflyApi, stores: Stores): Promise<void> {
  const { notify } = stores.ui.getState();
  try {
    const archive = await api.exportAll();
    const bytes = decodeBase64(archive.dataBase64);
    if (!bytes) throw new Error('the exported archive arrived damaged');
    saveDownload(archive.fileName, bytes as Uint8Array<ArrayBuffer>, 'application/zip');
    notify('info', `Exported all tunnels to ${archive.fileName}`);
  } catch (error) {
    notify('error', `Export failed: ${errorMessage(error)}`);
  }
}
