// Everything a tunnel may change in a namespace, as text to compare before
// and after: a test that brings tunnels up and down (or crashes a helper and
// recovers) expects the same snapshot at the end as at the start.
import type { Namespace } from './namespace.js';

export type NetworkSnapshot = Readonly<
  Record<'rules4' | 'rules6' | 'routes4' | 'routes6' | 'nftables' | 'resolvConf' | 'srcValidMark' | 'links', string>
>;

export async function networkSnapshot(ns: Namespace): Promise<NetworkSnapshot> {
  return {
    rules4: await ns.exec('ip', ['-4', 'rule']),
    rules6: await ns.exec('ip', ['-6', 'rule']),
    routes4: await ns.exec('ip', ['-4', 'route', 'show', 'table', 'all']),
    // Link-local routes come and go with the kernel's address configuration, not with tunnels.
    routes6: (await ns.exec('ip', ['-6', 'route', 'show', 'table', 'all']))
      .split('\n')
      .filter((line) => !line.includes('fe80:'))
      .join('\n'),
    nftables: await ns.exec('nft', ['list', 'ruleset']),
    resolvConf: await ns.exec('cat', ['/etc/resolv.conf']),
    srcValidMark: await ns.exec('sysctl', ['-n', 'net.ipv4.conf.all.src_valid_mark']),
    links: (await ns.exec('ip', ['-o', 'link']))
      .replace(/^\d+: /gm, '')
      .split('\n')
      .map((l) => l.split(':')[0])
      .join(','),
  };
}
