// wg-quick names the interface after the file: at most 15 characters of
// [a-zA-Z0-9_=+.-], then ".conf".
const INTERFACE_NAME = /^[a-zA-Z0-9_=+.-]{1,15}$/;

export function isInterfaceName(name: string): boolean {
  return INTERFACE_NAME.test(name);
}

/** The interface a file at `path` configures, or undefined if wg-quick would refuse the name. */
export function interfaceNameFromPath(path: string): string | undefined {
  const fileName = path.slice(path.lastIndexOf('/') + 1);
  if (!fileName.endsWith('.conf')) return undefined;
  const name = fileName.slice(0, -'.conf'.length);
  return isInterfaceName(name) ? name : undefined;
}
