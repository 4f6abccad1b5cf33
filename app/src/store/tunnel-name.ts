// Tunnel names are wg-quick interface names (the helper names the interface
// after the tunnel). Files from elsewhere get a name that fits, and a name that
// is taken gets a numeric suffix.
import { isInterfaceName } from '../../../helper/src/config/index.js';

const MAX_NAME_LENGTH = 15;
const FALLBACK_NAME = 'tunnel';

/** A valid tunnel name close to what a file was called: "My VPN (home).conf" becomes "My_VPN_home". */
export function tunnelNameFromFileName(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1).replace(/\.conf$/i, '');
  const fitted = base
    .replace(/[^a-zA-Z0-9_=+.-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_NAME_LENGTH);
  return isInterfaceName(fitted) ? fitted : FALLBACK_NAME;
}

/** The file name without folder and `.conf`, as the person sees it. */
export function fileBaseName(fileName: string): string {
  return fileName.slice(fileName.lastIndexOf('/') + 1).replace(/\.conf$/i, '');
}

/** `wanted` if free, else `wanted-2`, `wanted-3`, … shortened to stay a valid name. */
export function uniqueTunnelName(wanted: string, isTaken: (name: string) => boolean): string {
  if (!isTaken(wanted)) return wanted;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = wanted.slice(0, MAX_NAME_LENGTH - suffix.length) + suffix;
    if (!isTaken(candidate)) return candidate;
  }
}
