// What the connection doctor can ask of the system. Each probe gathers one
// piece of evidence; the doctor (doctor.ts) decides what they mean. The
// helper's are in system-probes.ts; the doctor's unit tests pass their own.
import type { Endpoint, IpAddress } from '../../net/ip.js';

export interface DoctorProbes {
  resolve(host: string): Promise<IpAddress>;
  /** Why there is no route to `destination` under the engine's mark (e.g. "Network is unreachable"), or undefined for a route. */
  routeProblem(destination: IpAddress, mark: number): string | undefined;
  /**
   * Sends one datagram to the endpoint under the mark and listens for an ICMP
   * error: its errno code (ECONNREFUSED: nothing listens there), or undefined
   * for silence.
   */
  udpError(endpoint: Endpoint, mark: number): Promise<string | undefined>;
  /** Whether `target` answers an echo of `packetBytes` (the whole IP packet) sent by the tunnel interface. */
  ping(ifname: string, target: IpAddress, packetBytes: number, dontFragment: boolean): Promise<boolean>;
  /** Whether the DNS server answers a query at all (any answer, NXDOMAIN included). */
  dnsAnswers(server: IpAddress): Promise<boolean>;
  interfaceMtu(ifname: string): Promise<number | undefined>;
  sleep(ms: number): Promise<void>;
}
