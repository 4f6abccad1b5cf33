// Serving the built renderer's files: only files inside the folder, with the
// right content type, and index.html for the UI's own routes.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, relative, isAbsolute } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export interface StaticFile {
  readonly contentType: string;
  readonly body: Buffer;
  readonly isDocument: boolean;
}

/** The file for a URL path, index.html for extensionless paths (client-side routes), undefined when there is none. */
export async function findStaticFile(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const wanted = decoded === '/' || extname(decoded) === '' ? '/index.html' : decoded;
  const path = join(root, normalize(wanted));
  const inside = relative(root, path);
  if (inside.startsWith('..') || isAbsolute(inside) || decoded.includes('\0')) return undefined;
  try {
    if (!(await stat(path)).isFile()) return undefined;
    const body = await readFile(path);
    const extension = extname(path);
    return {
      body,
      contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      isDocument: extension === '.html',
    };
  } catch {
    return undefined;
  }
}
