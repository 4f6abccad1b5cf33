// Kernel UDP counters of a namespace: datagrams the kernel dropped before a
// WireGuard daemon could read them explain a sender's tx exceeding the
// receiver's rx after a bulk transfer.
import type { Namespace } from './namespace.js';

export async function udpReceiveErrors(ns: Namespace): Promise<number> {
  const snmp = await ns.exec('cat', ['/proc/net/snmp']);
  const [names, values] = snmp.split('\n').filter((line) => line.startsWith('Udp:'));
  if (!names || !values) throw new Error(`no Udp lines in /proc/net/snmp of ${ns.name}`);
  const index = names.split(/\s+/).indexOf('InErrors');
  const value = values.split(/\s+/)[index];
  if (index < 0 || value === undefined) throw new Error(`no Udp InErrors in /proc/net/snmp of ${ns.name}`);
  return Number(value);
}
