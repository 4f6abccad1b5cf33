// Names of everything a test run creates: network namespaces, veth and tunnel
// interfaces. Each carries the pid of the run that made it, so a later run can
// tell a crashed run's leftovers from another run that is still going, and
// interface names stay unique across namespaces (the UAPI sockets in
// /var/run/wireguard are shared by all of them).

const PREFIX = 'wfi';
const IFNAMSIZ_MAX = 15;
const NAME_PATTERN = new RegExp(`^${PREFIX}(\\d+)-(\\d+)$`);

let counter = 0;

/** A name no other live run uses: `wfi<pid>-<n>`, at most 15 characters (IFNAMSIZ). */
export function uniqueName(): string {
  counter += 1;
  const name = `${PREFIX}${process.pid}-${counter}`;
  if (name.length > IFNAMSIZ_MAX) throw new Error(`interface name ${name} longer than ${IFNAMSIZ_MAX}`);
  return name;
}

/** The pid of the run that created `name`, or undefined when the harness did not name it. */
export function ownerPid(name: string): number | undefined {
  const match = NAME_PATTERN.exec(name);
  return match ? Number(match[1]) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True for a harness name whose creating run has exited. */
export function isLeftover(name: string): boolean {
  const pid = ownerPid(name);
  return pid !== undefined && pid !== process.pid && !isAlive(pid);
}
