// A run that crashed (or was interrupted) before its cleanup leaves namespaces,
// daemons inside them and UAPI sockets behind; the next run removes them.
import { readdirSync, rmSync } from 'node:fs';
import { isLeftover } from './names.js';
import { deleteNamespace, listNamespaces } from './namespace.js';
import { UAPI_DIRECTORY, uapiSocketPath } from './wireguard.js';

export async function removeLeftovers(): Promise<void> {
  for (const name of await listNamespaces()) {
    if (isLeftover(name)) await deleteNamespace(name);
  }
  let sockets: string[];
  try {
    sockets = readdirSync(UAPI_DIRECTORY);
  } catch {
    return;
  }
  for (const file of sockets) {
    const ifname = file.replace(/\.sock$/, '');
    if (isLeftover(ifname)) rmSync(uapiSocketPath(ifname), { force: true });
  }
}
