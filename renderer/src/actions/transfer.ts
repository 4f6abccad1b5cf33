// Import from files the person picked or dropped (.conf, .zip, and pictures of
// a QR code, several at once), asking about taken and changed names, and export
// one tunnel or all of them. The main process does the unpacking and packing;
// here files become base64 and back, and QR pictures become config text.
import { decodeBase64, encodeBase64 } from '../../../helper/src/config/base64.js';
import type { ImportAnswer, ImportedFile, ImportResult, WireflyApi } from '../../../app/src/api/wirefly-api.js';
import type { Stores } from '../state/stores.js';
import { errorMessage } from './errors.js';
import { isQrImage, readQrCode } from './qr-image.js';

export const IMPORT_ACCEPT = '.conf,.zip,.png,.jpg,.jpeg,.gif,.webp,.bmp,image/*';

/** A QR picture becomes the config it holds, named after the picture ("home.png" gives home.conf). */
async function readFile(file: File): Promise<ImportedFile> {
  if (isQrImage(file)) {
    const text = await readQrCode(file);
    return {
      fileName: `${file.name.replace(/\.[^.]*$/, '')}.conf`,
      dataBase64: encodeBase64(new TextEncoder().encode(text)),
    };
  }
  return { fileName: file.name, dataBase64: encodeBase64(new Uint8Array(await file.arrayBuffer())) };
}

async function readFiles(files: readonly File[]): Promise<{ read: ImportedFile[]; failed: ImportResult['failed'] }> {
  const read: ImportedFile[] = [];
  const failed: { fileName: string; message: string }[] = [];
  for (const file of files) {
    try {
      read.push(await readFile(file));
    } catch (error) {
      failed.push({ fileName: file.name, message: errorMessage(error) });
    }
  }
  return { read, failed };
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
  if (count === 0 && result.failed.length === 0 && result.questions.length === 0)
    messages.push({ tone: 'error', text: 'No tunnel configurations were found in those files.' });
  return messages;
}

function reportImport(stores: Stores, result: ImportResult): void {
  for (const message of describeImport(result)) stores.ui.getState().notify(message.tone, message.text);
  const first = result.imported[0];
  if (first !== undefined) stores.tunnels.getState().select(first);
}

/** Imports what needs no question; the rest waits in the ui store for the person's answers. */
export async function importFiles(api: WireflyApi, stores: Stores, files: readonly File[]): Promise<void> {
  if (files.length === 0) return;
  try {
    const { read, failed } = await readFiles(files);
    const result = read.length > 0 ? await api.importFiles(read) : { imported: [], failed: [], questions: [] };
    reportImport(stores, { ...result, failed: [...failed, ...result.failed] });
    if (result.questions.length > 0) stores.ui.getState().askImport({ files: read, questions: result.questions });
  } catch (error) {
    stores.ui.getState().notify('error', `Import failed: ${errorMessage(error)}`);
  }
}

/** The person's answers to the import questions: only the configs asked about are imported now. */
export async function answerImport(
  api: WireflyApi,
  stores: Stores,
  files: readonly ImportedFile[],
  answers: Readonly<Record<string, ImportAnswer>>,
): Promise<void> {
  stores.ui.getState().askImport(undefined);
  try {
    const result = await api.importFiles(files, answers);
    // The files' other failures were reported when they were first read; only the answered configs' are new.
    reportImport(stores, { ...result, failed: result.failed.filter((failure) => failure.fileName in answers) });
  } catch (error) {
    stores.ui.getState().notify('error', `Import failed: ${errorMessage(error)}`);
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

/** Every tunnel as one zip, or one tunnel (`name`) as its .conf. */
export async function exportTunnels(api: WireflyApi, stores: Stores, name?: string): Promise<void> {
  const { notify } = stores.ui.getState();
  try {
    const file = name === undefined ? await api.exportAll() : await api.exportTunnel(name);
    const bytes = decodeBase64(file.dataBase64);
    if (!bytes) throw new Error('the exported file arrived damaged');
    saveDownload(
      file.fileName,
      bytes as Uint8Array<ArrayBuffer>,
      name === undefined ? 'application/zip' : 'text/plain',
    );
    notify('info', `Exported ${name ?? 'all tunnels'} to ${file.fileName}. It holds private keys: keep it safe.`);
  } catch (error) {
    notify('error', `Export failed: ${errorMessage(error)}`);
  }
}
