// "Allow LAN": the ranges a local network uses, as Mullvad's local network
// sharing counts them: private IPv4 (RFC 1918), link-local, multicast and the
// limited broadcast; IPv6 link-local, unique local and multicast.
export const LAN_RANGES_V4 = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '224.0.0.0/4',
  '255.255.255.255',
];
export const LAN_RANGES_V6 = ['fe80::/10', 'fc00::/7', 'ff00::/8'];

/** nft rules that let the LAN through, out (daddr) or in (saddr). */
export function lanRules(direction: 'out' | 'in'): string[] {
  const field = direction === 'out' ? 'daddr' : 'saddr';
  return [`ip ${field} { ${LAN_RANGES_V4.join(', ')} } accept`, `ip6 ${field} { ${LAN_RANGES_V6.join(', ')} } accept`];
}
