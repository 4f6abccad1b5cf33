// The WireGuard engine as the tunnel manager uses it, behind an interface so that
// the manager's unit tests can run without root or a TUN device.
import { DeviceControl } from '../runtime/device-control.js';
import type { Logger } from '../runtime/log.js';
import { WireGuardInterface } from '../runtime/wireguard-interface.js';
import type { UapiDeviceState, UapiSetRequest } from '../uapi/model.js';

export interface TunnelEngine {
  /** The OS's name for the engine's interface: the tunnel's own on Linux, the kernel's utunN on macOS. */
  readonly interfaceName: string;
  configure(request: UapiSetRequest): Promise<void>;
  state(): UapiDeviceState;
  /** The network changed or the machine woke: every peer in use handshakes again at once; returns how many. */
  networkChanged(): number;
  /** A handshake with every peer that has an endpoint, used or not (the doctor asks); returns how many. */
  handshakeNow(): number;
  /** Stops the engine and removes its interface and control socket. */
  close(): Promise<void>;
  /** Called once the engine has stopped, asked to or not (e.g. its interface was deleted). */
  onClosed(handler: (error?: Error) => void): void;
  /** Called with a peer's public key when an authenticated message moved its endpoint elsewhere. */
  onPeerRoamed(listener: (publicKey: Uint8Array) => void): () => void;
  /** Called with the new port when the engine's UDP moved to another (wg set listen-port). */
  onListenPortChanged(listener: (port: number) => void): () => void;
}

export type EngineStarter = (name: string, log: Logger) => Promise<TunnelEngine>;

/** The engine runs inside the helper process: one TUN interface, its UDP sockets and its wg(8) control socket. */
export const startEngineInProcess: EngineStarter = async (name, log) => {
  const wg = await WireGuardInterface.start({ name, log });
  const control = new DeviceControl(wg);
  return {
    interfaceName: wg.tun.name,
    configure: (request) => control.set(request),
    state: () => control.get(),
    networkChanged: () => wg.networkChanged(),
    handshakeNow: () => wg.networkChanged(true),
    close: () => wg.close(),
    onClosed: (handler) => wg.onClosed(handler),
    onPeerRoamed: (listener) => wg.onPeerRoamed(listener),
    onListenPortChanged: (listener) => wg.onListenPortChanged(listener),
  };
};
