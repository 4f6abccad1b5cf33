// The doctor's probes on this system: the resolver, the kernel's routes, a
// UDP datagram under the engine's mark, ping(8) bound to the tunnel
// interface, and a DNS query of our own.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { formatIpAddress, type IpAddress } from '../../net/ip.js';
import { runProcess, spawnCommand } from '../../os/command.js';
import { linkMtu } from '../../os/linux/mtu.js';
import { probeLinuxUdp } from '../../os/linux/udp-probe.js';
import { lookupRoute } from '../../os/network-changes.js';
import { resolveHost } from '../resolve-hosts.js';
import type { DoctorProbes } from './probes.js';

const IPV4_ICMP_HEADERS = 28;
const IPV6_ICMP_HEADERS = 48;
const DNS_WAIT_MS = 2_000;
const DNS_TRIES = 2;

async function ping(ifname: string, target: IpAddress, packetBytes: number, dontFragment: boolean): Promise<boolean> {
  const payload = packetBytes - (target.family === 4 ? IPV4_ICMP_HEADERS : IPV6_ICMP_HEADERS);
  const outcome = await runProcess([
    'ping',
    '-n',
    '-q',
    '-c',
    '2',
    '-i',
    '0.2',
    '-W',
    '1',
    '-I',
    ifname,
    '-s',
    String(Math.max(0, payload)),
    ...(dontFragment ? ['-M', 'do'] : []),
    formatIpAddress(target),
  ]);
  return /\b[1-9]\d* received/.test(outcome.stdout);
}

/** A query for the root's NS records: every resolver answers it somehow. */
function rootQuery(id: Buffer): Buffer {
  const header = Buffer.from([0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  id.copy(header, 0);
  return Buffer.concat([header, Buffer.from([0, 0, 2, 0, 1])]);
}

function dnsAnswers(server: IpAddress): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket(server.family === 4 ? 'udp4' : 'udp6');
    const id = randomBytes(2);
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (answered: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const ask = () => {
      if (tries++ === DNS_TRIES) return finish(false);
      socket.send(rootQuery(id), 53, formatIpAddress(server));
      timer = setTimeout(ask, DNS_WAIT_MS);
    };
    socket.on('message', (message) => {
      if (message.length >= 12 && message[0] === id[0] && message[1] === id[1] && (message[2]! & 0x80) !== 0)
        finish(true);
    });
    socket.on('error', () => finish(false));
    ask();
  });
}

export const systemProbes: DoctorProbes = {
  resolve: resolveHost,
  routeProblem(destination, mark) {
    try {
      lookupRoute(destination, undefined, mark);
      return undefined;
    } catch (error) {
      const message = (error as Error).message;
      return message.slice(message.indexOf(': ') + 2) || message;
    }
  },
  udpError: probeLinuxUdp,
  ping,
  dnsAnswers,
  interfaceMtu: (ifname) => linkMtu(spawnCommand, ifname),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
