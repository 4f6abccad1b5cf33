// One running WireGuard interface: the sans-I/O Device wired to a TUN device, a
// UDP socket pair, a timer, and the wg(8) control socket.
import { availableParallelism } from 'node:os';
import { Device } from '../engine/device.js';
import { equalBytes, type Endpoint } from '../net/ip.js';
import { InlineTransportCrypto, WorkerTransportCrypto, type TransportCrypto } from '../crypto/crypto-pool.js';
import { engineCrypto } from '../crypto/provider.js';
import { lookupRoute, systemClocks, watchRouteChanges, type RouteChangeWatch } from '../os/network-changes.js';
import { currentPlatform } from '../os/platform.js';
import type { PacketBatch, TunDevice } from '../os/tun.js';
import type { DatagramBatch, UdpTransport } from '../os/udp.js';
import { startUapiServer, type UapiServer } from '../uapi/server.js';
import { DeviceControl } from './device-control.js';
import type { Logger } from './log.js';
import { recheckStickySources } from './sticky-sources.js';

/** The MTU a new interface gets, as wireguard-go gives it (1500 minus the 80 bytes of IPv6 + UDP + WireGuard). */
const DEFAULT_MTU = 1420;
/**
 * How stale the device's idea of the MTU may get. It is re-read when packets
 * arrive from the TUN, since padding past the MTU (wg-quick sets it after
 * creating the interface) would make messages larger than the path allows.
 */
const MTU_REFRESH_INTERVAL = 100;

export interface WireGuardInterfaceOptions {
  readonly name: string;
  readonly log: Logger;
  /** Worker threads for transport crypto; 0 seals and opens on the main thread. */
  readonly cryptoWorkers?: number;
  /** Where the control socket goes; wg(8) looks in /var/run/wireguard. */
  readonly socketDirectory?: string;
  /** The packets' side; default the platform's TUN device (Linux tun, Wintun). */
  readonly openTun?: (name: string) => TunDevice;
}

/** Most worker threads WIREFLY_CRYPTO_WORKERS may ask for. */
const MAX_CRYPTO_WORKERS = 16;

/**
 * How many worker threads seal and open transport messages; 0 is inline, on
 * the thread that runs the engine. Inline unless WIREFLY_CRYPTO_WORKERS says
 * otherwise: a count, or `auto`, which keeps crypto inline on two cores or
 * fewer (where the engine's own thread already needs one of them and a
 * hand-off cost more than it saved, README "Speed") and gives a worker to every
 * further core.
 */
export function cryptoWorkersFor(setting: string | undefined, cores: number): number {
  if (setting === undefined || setting === '') return 0;
  if (setting === 'auto') return cores <= 2 ? 0 : Math.min(MAX_CRYPTO_WORKERS, cores - 1);
  if (!/^[0-9]+$/.test(setting))
    throw new Error(`WIREFLY_CRYPTO_WORKERS must be a number of threads or "auto", not "${setting}"`);
  return Math.min(MAX_CRYPTO_WORKERS, Number(setting));
}

export function defaultCryptoWorkers(): number {
  return cryptoWorkersFor(process.env.WIREFLY_CRYPTO_WORKERS, availableParallelism());
}

function sameOptionalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined || b === undefined ? a === b : equalBytes(a, b);
}

export class WireGuardInterface {
  readonly device: Device;
  private udp: UdpTransport | undefined;
  private fwmark = 0;
  private lastSource: Endpoint | undefined;
  private uapi: UapiServer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDeadline = Infinity;
  private mtuCheckedAt = 0;
  private closing: Promise<void> | undefined;
  private routeWatch: RouteChangeWatch | undefined;
  private closedHandlers: ((error?: Error) => void)[] = [];
  private readonly roamedListeners = new Set<(publicKey: Uint8Array) => void>();
  private readonly reboundListeners = new Set<(port: number) => void>();

  private readonly crypto: TransportCrypto;

  private constructor(
    readonly tun: TunDevice,
    private readonly log: Logger,
    cryptoWorkers: number,
  ) {
    this.crypto = cryptoWorkers > 0 ? new WorkerTransportCrypto(cryptoWorkers) : new InlineTransportCrypto();
    const clocks = systemClocks();
    this.device = new Device({
      ...engineCrypto(this.crypto),
      // Boot time, not performance.now(): sessions must expire across a suspend as they do in the kernel.
      clock: { now: () => clocks.bootTime(), wallClock: () => Date.now() },
      output: {
        sendDatagrams: (datagrams, endpoints) => this.udp?.sendBatch(datagrams, endpoints),
        writePackets: (packets) => this.tun.writePackets(packets),
      },
      log,
      onPeerRoamed: (peer) => {
        for (const listener of this.roamedListeners) listener(peer.publicKey);
      },
    });
  }

  static async start(options: WireGuardInterfaceOptions): Promise<WireGuardInterface> {
    const tun = (options.openTun ?? currentPlatform().openTun)(options.name);
    const wg = new WireGuardInterface(tun, options.log, options.cryptoWorkers ?? defaultCryptoWorkers());
    try {
      tun.setMtu(DEFAULT_MTU);
      wg.device.mtu = DEFAULT_MTU;
      tun.onPackets((batch) => wg.onTunPackets(batch));
      tun.onClose((error) => {
        if (error) options.log('error', `TUN device closed: ${error.message}`);
        void wg.close(error);
      });
      await wg.bind(0);
      wg.routeWatch = watchRouteChanges(
        () => wg.recheckStickySources(),
        (error) => options.log('error', `watching routes failed, sticky sources stay as learned: ${error.message}`),
      );
      const control = new DeviceControl(wg);
      wg.uapi = await startUapiServer({
        interfaceName: tun.name,
        device: control,
        ...(options.socketDirectory ? { socketDirectory: options.socketDirectory } : {}),
        log: (level, message) => options.log(level === 'error' ? 'error' : 'verbose', message),
      });
      return wg;
    } catch (error) {
      await wg.close();
      throw error;
    }
  }

  get listenPort(): number {
    return this.udp?.port ?? 0;
  }

  /** Rebinds the UDP sockets; the old ones stay if the new port cannot be had. */
  async bind(port: number): Promise<void> {
    if (this.udp && port !== 0 && port === this.udp.port) return;
    const next = await currentPlatform().bindUdp(port, {
      datagrams: (batch) => this.onDatagrams(batch),
      staleSource: (endpoint) => this.device.forgetStickySource(endpoint),
      error: (error) => {
        this.log('error', `UDP socket failed: ${error.message}`);
        void this.close(error);
      },
    });
    if (this.closing) {
      next.close();
      return;
    }
    if (this.fwmark !== 0) next.setMark(this.fwmark);
    const previous = this.udp;
    this.udp = next;
    previous?.close();
    this.log('verbose', `UDP bound to port ${next.port}`);
    if (previous && previous.port !== next.port) for (const listener of this.reboundListeners) listener(next.port);
  }

  /** The mark on outgoing datagrams (wg's fwmark), kept across rebinds; 0 is none. */
  setFwmark(mark: number): void {
    this.udp?.setMark(mark);
    this.fwmark = mark;
  }

  get fwmarkValue(): number {
    return this.fwmark;
  }

  onClosed(handler: (error?: Error) => void): void {
    this.closedHandlers.push(handler);
  }

  /** Calls `listener` with a peer's public key when the peer's endpoint moves to where it was last heard from. */
  onPeerRoamed(listener: (publicKey: Uint8Array) => void): () => void {
    this.roamedListeners.add(listener);
    return () => this.roamedListeners.delete(listener);
  }

  /** Called with the new port when the UDP sockets move to another (wg set listen-port). */
  onListenPortChanged(listener: (port: number) => void): () => void {
    this.reboundListeners.add(listener);
    return () => this.reboundListeners.delete(listener);
  }

  private onTunPackets(batch: PacketBatch): void {
    this.refreshMtu();
    for (let i = 0; i < batch.count; i++) this.device.handleTunPacket(batch.packet(i));
    this.afterInput();
  }

  private onDatagrams(batch: DatagramBatch): void {
    for (let i = 0; i < batch.count; i++) this.device.handleDatagram(batch.datagram(i), this.sourceOf(batch, i));
    this.afterInput();
  }

  /**
   * The datagram's source as an Endpoint, the same object as for the previous
   * datagram when nothing changed: a busy peer's packets then cost no
   * allocation and the engine sees at a glance that its endpoint is unchanged.
   */
  private sourceOf(batch: DatagramBatch, index: number): Endpoint {
    const last = this.lastSource;
    if (
      last &&
      last.port === batch.sourcePort(index) &&
      last.family === batch.sourceFamily(index) &&
      equalBytes(last.bytes, batch.sourceAddress(index)) &&
      last.localInterface === batch.localInterface(index) &&
      sameOptionalBytes(last.localAddress, batch.localAddress(index))
    ) {
      return last;
    }
    this.lastSource = batch.endpoint(index);
    return this.lastSource;
  }

  private refreshMtu(): void {
    const now = this.device.clock.now();
    if (now - this.mtuCheckedAt < MTU_REFRESH_INTERVAL) return;
    this.mtuCheckedAt = now;
    try {
      this.device.mtu = this.tun.mtu();
    } catch {
      // The device is going away (its namespace was deleted): keep the last value until it closes.
    }
  }

  /** Routes, addresses or links changed: sources that routing no longer backs are let go (sticky-sources.ts). */
  private recheckStickySources(): void {
    const forgotten = recheckStickySources(
      this.device,
      (destination, source, mark) => lookupRoute(destination, source, mark),
      this.fwmark,
    );
    if (forgotten > 0) this.log('verbose', `routing changed: ${forgotten} sticky source address(es) let go`);
  }

  /**
   * The way to the peers may have changed (network-change.ts): every peer in
   * use handshakes again now. Returns how many did.
   */
  networkChanged(everyPeer = false): number {
    const started = this.device.networkChanged(everyPeer);
    // After a sleep the armed timer still counts monotonic time: what the boot-time clock made due runs now.
    this.device.runTimers();
    this.afterInput();
    return started;
  }

  /** Hands the wake-up's transport messages to the crypto and re-arms the timer. */
  afterInput(): void {
    this.device.flush();
    this.schedule();
  }

  private schedule(): void {
    if (this.closing) return;
    const deadline = this.device.nextDeadline();
    // A later deadline keeps the armed timer, which then fires early, finds
    // nothing due and arms the next: traffic pushes the keepalive and rekey
    // deadlines on with every packet, and re-arming at each wake-up cost more.
    if (deadline >= this.timerDeadline) return;
    clearTimeout(this.timer);
    this.timerDeadline = deadline;
    this.timer = setTimeout(
      () => {
        this.timerDeadline = Infinity;
        this.device.runTimers();
        this.afterInput();
      },
      Math.max(0, deadline - this.device.clock.now()),
    );
  }

  /** Stops everything and wipes the keys. Resolves once the control socket is gone. */
  close(error?: Error): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.timer);
      this.routeWatch?.close();
      await this.uapi?.close();
      this.udp?.close();
      this.tun.close();
      this.device.close();
      await this.crypto.close();
      for (const handler of this.closedHandlers) handler(error);
    })();
    return this.closing;
  }
}
