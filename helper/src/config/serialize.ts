// Writes a model as canonical wg-quick text: one line per key in a fixed order,
// lists comma-separated, numbers in the form wg showconf uses. parseConfig reads
// the result back into an equal model.
import { formatCidr, formatEndpoint, formatIpAddress } from '../net/ip.js';
import { keyToBase64 } from './keys.js';
import type { InterfaceConfig, PeerConfig, PeerEndpoint, WgQuickConfig } from './model.js';

function formatFwMark(mark: number): string {
  return mark === 0 ? 'off' : `0x${mark.toString(16)}`;
}

function formatSeconds(seconds: number): string {
  return seconds === 0 ? 'off' : String(seconds);
}

function formatPeerEndpoint(endpoint: PeerEndpoint): string {
  return endpoint.kind === 'address' ? formatEndpoint(endpoint.address) : `${endpoint.host}:${endpoint.port}`;
}

type Line = readonly [key: string, value: string | undefined];

function interfaceLines(i: InterfaceConfig): Line[] {
  const dns = [...i.dns.map(formatIpAddress), ...i.dnsSearch];
  return [
    ['PrivateKey', i.privateKey && keyToBase64(i.privateKey)],
    ['ListenPort', i.listenPort?.toString()],
    ['FwMark', i.fwMark === undefined ? undefined : formatFwMark(i.fwMark)],
    ['Address', i.addresses.length > 0 ? i.addresses.map(formatCidr).join(', ') : undefined],
    ['DNS', dns.length > 0 ? dns.join(', ') : undefined],
    ['MTU', i.mtu?.toString()],
    ['Table', i.table?.toString()],
    ...i.preUp.map((command): Line => ['PreUp', command]),
    ...i.postUp.map((command): Line => ['PostUp', command]),
    ...i.preDown.map((command): Line => ['PreDown', command]),
    ...i.postDown.map((command): Line => ['PostDown', command]),
    ['SaveConfig', i.saveConfig ? 'true' : undefined],
  ];
}

function peerLines(p: PeerConfig): Line[] {
  return [
    ['PublicKey', keyToBase64(p.publicKey)],
    ['PresharedKey', p.presharedKey && keyToBase64(p.presharedKey)],
    ['AllowedIPs', p.allowedIps.length > 0 ? p.allowedIps.map(formatCidr).join(', ') : undefined],
    ['Endpoint', p.endpoint && formatPeerEndpoint(p.endpoint)],
    ['PersistentKeepalive', p.persistentKeepalive === undefined ? undefined : formatSeconds(p.persistentKeepalive)],
  ];
}

function section(header: string, lines: readonly Line[]): string {
  const body = lines.filter(([, value]) => value !== undefined).map(([key, value]) => `${key} = ${value}\n`);
  return `${header}\n${body.join('')}`;
}

/**
 * The config as wg-quick text. It must be a config parseConfig could have produced:
 * script commands cannot hold '#' or line breaks, names must be valid host names.
 */
export function serializeConfig(config: WgQuickConfig): string {
  const sections = [
    section('[Interface]', interfaceLines(config.interface)),
    ...config.peers.map((p) => section('[Peer]', peerLines(p))),
  ];
  return sections.join('\n');
}
