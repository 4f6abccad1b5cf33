// The engine's UDP socket pair: IPv6 and IPv4 bound to one port, as wireguard-go
// binds them, so that peers reach the device over either family.
import { createSocket, type Socket } from 'node:dgram';
import { formatIpAddress, parseIpAddress, type Endpoint } from '../net/ip.js';

export interface UdpTransport {
  readonly port: number;
  send(datagram: Uint8Array, endpoint: Endpoint): void;
  close(): Promise<void>;
}

export type DatagramHandler = (datagram: Uint8Array, source: Endpoint) => void;

function open(type: 'udp4' | 'udp6', port: number, onDatagram: DatagramHandler): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type, ipv6Only: type === 'udp6', reuseAddr: false });
    socket.once('error', reject);
    socket.on('message', (message, info) => {
      const address = parseIpAddress(info.address.startsWith('::ffff:') ? info.address.slice(7) : info.address);
      if (address) onDatagram(message, { ...address, port: info.port });
    });
    socket.bind(port, () => {
      socket.off('error', reject);
      // A failing send (no route, a peer's port unreachable) must not take the device down.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

async function closeSocket(socket: Socket): Promise<void> {
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
}

function isFamilyUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL';
}

/**
 * Binds both families to `port` (0: a free port both families can share). A
 * host without IPv6 gets an IPv4-only transport. Throws EADDRINUSE errors as is.
 */
export async function bindUdp(port: number, onDatagram: DatagramHandler): Promise<UdpTransport> {
  for (let attempt = 0; ; attempt++) {
    let v6: Socket | undefined;
    try {
      v6 = await open('udp6', port, onDatagram);
    } catch (error) {
      if (!isFamilyUnsupported(error)) throw error;
    }
    const chosen = v6 ? v6.address().port : port;
    try {
      const v4 = await open('udp4', chosen, onDatagram);
      return transport(v4, v6, v4.address().port);
    } catch (error) {
      if (v6) await closeSocket(v6);
      // A random port free for IPv6 may be taken for IPv4: try another.
      if (port === 0 && isAddressInUse(error) && attempt < 10) continue;
      throw error;
    }
  }
}

function transport(v4: Socket, v6: Socket | undefined, port: number): UdpTransport {
  return {
    port,
    send(datagram, endpoint) {
      const socket = endpoint.family === 4 ? v4 : v6;
      socket?.send(datagram, endpoint.port, formatIpAddress(endpoint));
    },
    async close() {
      await Promise.all([closeSocket(v4), v6 ? closeSocket(v6) : undefined]);
    },
  };
}
