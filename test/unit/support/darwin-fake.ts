// A macOS for the darwin platform's unit tests: a DarwinBinding that records
// every command and system call and answers as macOS would. The tools' output
// is what macOS's ifconfig, route, networksetup and pfctl print; the system
// calls read and write their structs at the offsets of Apple's headers, laid
// out here on their own (not with the production code's encoders), so that a
// test compares two independent readings of the headers.
import { CommandFailed } from '../../../helper/src/os/command.js';
import type {
  CommandResult,
  ConsoleUser,
  DarwinBinding,
  DarwinSyscalls,
  NativeMemory,
} from '../../../helper/src/os/darwin/binding.js';
import { FakeCodeFiles } from './code-files-fake.js';

const EAGAIN = 35;
const EINVAL = 22;
const EBUSY = 16;
const EADDRNOTAVAIL = 49;

interface FakeInterface {
  mtu: number;
  up: boolean;
  addresses: string[];
}

interface FakeRoute {
  readonly gateway?: string;
  readonly interface: string;
  readonly flags: readonly string[];
}

export interface ServiceSettings {
  servers: string[] | null;
  domains: string[] | null;
}

export interface SentDatagram {
  readonly family: 4 | 6;
  readonly address: Uint8Array;
  readonly port: number;
  readonly data: Uint8Array;
  /** The source asked for with IP_PKTINFO / IPV6_PKTINFO. */
  readonly source?: Uint8Array;
  readonly sourceInterface?: number;
}

export interface QueuedDatagram {
  readonly address: Uint8Array;
  readonly port: number;
  readonly data: Uint8Array;
  readonly local?: Uint8Array;
  readonly interfaceIndex?: number;
}

interface FakeSocket {
  readonly kind: 'control' | 'udp';
  readonly family?: 4 | 6;
  utun?: string;
  port?: number;
  nonBlocking: boolean;
  cloexec: boolean;
  options: Map<string, number>;
  inbound: Uint8Array[];
  datagrams: QueuedDatagram[];
  closed: boolean;
}

const le = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export class FakeMac implements DarwinBinding {
  readonly calls: string[][] = [];
  readonly inputs: (string | undefined)[] = [];
  readonly syscalls: string[] = [];
  readonly interfaces = new Map<string, FakeInterface>([
    ['lo0', { mtu: 16384, up: true, addresses: ['127.0.0.1/8'] }],
    ['en0', { mtu: 1500, up: true, addresses: ['192.168.1.20/24'] }],
  ]);
  /** By family and destination ("4 default", "4 0.0.0.0/1", "4 203.0.113.1"). */
  readonly routes = new Map<string, FakeRoute>([
    [
      '4 default',
      { gateway: '192.168.1.1', interface: 'en0', flags: ['UP', 'GATEWAY', 'DONE', 'STATIC', 'PRCLONING'] },
    ],
    [
      '6 default',
      { gateway: 'fe80::1%en0', interface: 'en0', flags: ['UP', 'GATEWAY', 'DONE', 'STATIC', 'PRCLONING'] },
    ],
  ]);
  readonly services = new Map<string, ServiceSettings>([
    ['Wi-Fi', { servers: null, domains: null }],
    ['USB 10/100/1000 LAN', { servers: ['192.168.1.1', '2001:db8::53'], domains: ['home.example'] }],
    ['Thunderbolt Bridge', { servers: null, domains: ['lab.example', 'corp.example'] }],
  ]);
  readonly disabledServices = new Set(['Thunderbolt Bridge']);
  readonly pf = {
    mainAnchors: ['com.apple'],
    anchors: new Map<string, string>(),
    references: new Set<string>(),
    nextToken: 1234567890123456789n,
  };
  readonly launchd = new Map<string, string>();
  /** What SCDynamicStoreCopyConsoleUser reports; undefined while nobody is logged in. */
  console: ConsoleUser | undefined;
  readonly files = FakeCodeFiles.mac();
  private routeWatchers: (() => void)[] = [];

  // ---- commands ----

  readonly run = async (argv: readonly string[], options: { readonly input?: string } = {}): Promise<CommandResult> => {
    this.calls.push([...argv]);
    this.inputs.push(options.input);
    const [tool, ...args] = argv;
    switch (tool) {
      case 'ifconfig':
        return this.ifconfig(argv, args);
      case 'route':
        return this.route(argv, args);
      case 'networksetup':
        return this.networksetup(args);
      case 'pfctl':
        return this.pfctl(argv, args, options.input);
      case 'launchctl':
        return this.launchctl(argv, args);
      default:
        throw new Error(`the fake Mac has no ${tool}`);
    }
  };

  consoleUser(): ConsoleUser | undefined {
    return this.console;
  }

  watchRoutes(changed: () => void): () => void {
    this.routeWatchers.push(changed);
    return () => {
      this.routeWatchers = this.routeWatchers.filter((watcher) => watcher !== changed);
    };
  }

  get watchingRoutes(): number {
    return this.routeWatchers.length;
  }

  /** The uplink changes (another Wi-Fi): a new default gateway, announced as route -n monitor would. */
  changeDefaultRoute(family: 4 | 6, route: FakeRoute | undefined): void {
    if (route) this.routes.set(`${family} default`, route);
    else this.routes.delete(`${family} default`);
    for (const watcher of this.routeWatchers) watcher();
  }

  commandsOf(tool: string): string[][] {
    return this.calls.filter((argv) => argv[0] === tool);
  }

  /** Everything that changes the system (no ifconfig IF or route get, pfctl -s, networksetup -get/-list). */
  changes(): string[][] {
    return this.calls.filter((argv) => {
      const [tool, a, b] = argv;
      if (tool === 'ifconfig') return argv.length > 2;
      if (tool === 'route') return !(a === '-n' && b === 'get');
      if (tool === 'networksetup') return a === '-setdnsservers' || a === '-setsearchdomains';
      if (tool === 'pfctl') return a !== '-s';
      return true;
    });
  }

  snapshot(): string {
    return JSON.stringify({
      interfaces: [...this.interfaces].sort(),
      routes: [...this.routes].sort(),
      services: [...this.services],
      pfAnchors: [...this.pf.anchors].filter(([, rules]) => rules !== ''),
      pfReferences: [...this.pf.references],
    });
  }

  private fail(argv: readonly string[], stderr: string, exitCode = 1): never {
    throw new CommandFailed(argv, exitCode, stderr);
  }

  private ifconfig(argv: readonly string[], args: readonly string[]): CommandResult {
    const [name, ...rest] = args;
    const iface = name === undefined ? undefined : this.interfaces.get(name);
    if (!iface || name === undefined) return this.fail(argv, `ifconfig: interface ${name} does not exist`);
    const ok = { stdout: '', stderr: '' };
    if (rest.length === 0) {
      const flags = [iface.up ? 'UP' : '', 'POINTOPOINT', iface.up ? 'RUNNING' : '', 'MULTICAST'].filter(Boolean);
      const lines = [`${name}: flags=8051<${flags.join(',')}> mtu ${iface.mtu}`];
      for (const address of iface.addresses) lines.push(`\tinet${address.includes(':') ? '6' : ''} ${address}`);
      return { stdout: `${lines.join('\n')}\n`, stderr: '' };
    }
    const [verb, value, extra, last] = rest;
    if (verb === 'mtu' && value !== undefined && rest.length === 2) {
      iface.mtu = Number(value);
      return ok;
    }
    if ((verb === 'up' || verb === 'down') && rest.length === 1) {
      iface.up = verb === 'up';
      return ok;
    }
    if (verb === 'inet' && value !== undefined && last === 'alias' && extra === value.split('/')[0]) {
      iface.addresses.push(value);
      return ok;
    }
    if (verb === 'inet6' && value !== undefined && extra === 'alias' && rest.length === 3) {
      iface.addresses.push(value);
      return ok;
    }
    if ((verb === 'inet' || verb === 'inet6') && value !== undefined && extra === '-alias' && rest.length === 3) {
      const index = iface.addresses.findIndex((address) => address.split('/')[0] === value);
      if (index === -1) return this.fail(argv, "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address");
      iface.addresses.splice(index, 1);
      return ok;
    }
    return this.fail(argv, `ifconfig: the fake does not know ${rest.join(' ')}`);
  }

  private route(argv: readonly string[], args: readonly string[]): CommandResult {
    const ok = { stdout: '', stderr: '' };
    if (args[0] === '-n' && args[1] === 'get') {
      const family = args[2] === '-inet6' ? 6 : 4;
      const target = args[3] ?? '';
      const key = `${family} ${target}`;
      const found = this.routes.get(key) ?? (target === 'default' ? undefined : this.routes.get(`${family} default`));
      if (!found) return this.fail(argv, 'route: writing to routing socket: not in table');
      const destination = this.routes.has(key) ? target : 'default';
      const lines = [`   route to: ${target}`, `destination: ${destination}`];
      if (found.gateway) lines.push(`    gateway: ${found.gateway}`);
      lines.push(`  interface: ${found.interface}`, `      flags: <${found.flags.join(',')}>`);
      return { stdout: `${lines.join('\n')}\n recvpipe  sendpipe\n       0         0\n`, stderr: '' };
    }
    if (args[0] !== '-q' || args[1] !== '-n') return this.fail(argv, 'route: the fake wants -q -n first');
    const [verb, familyOption, destination, ...via] = args.slice(2);
    if (familyOption !== '-inet' && familyOption !== '-inet6') return this.fail(argv, 'route: no family');
    const family = familyOption === '-inet6' ? 6 : 4;
    const key = `${family} ${destination}`;
    if (verb === 'add') {
      if (this.routes.has(key)) return this.fail(argv, `route: writing to routing socket: File exists`);
      const host = !destination?.includes('/');
      let route: FakeRoute;
      if (via[0] === '-interface' && via[1] && via.length === 2) {
        if (!this.interfaces.has(via[1])) return this.fail(argv, `route: bad interface name ${via[1]}`);
        route = { interface: via[1], flags: ['UP', 'DONE', 'STATIC', ...(host ? ['HOST'] : [])] };
      } else if (via[0] === '-gateway' && via[1] && via.length === 2) {
        route = { gateway: via[1], interface: 'en0', flags: ['UP', 'GATEWAY', 'HOST', 'DONE', 'STATIC'] };
      } else if (via[1] === '-blackhole' && (via[0] === '127.0.0.1' || via[0] === '::1') && via.length === 2) {
        route = { gateway: via[0], interface: 'lo0', flags: ['UP', 'GATEWAY', 'HOST', 'DONE', 'BLACKHOLE', 'STATIC'] };
      } else {
        return this.fail(argv, `route: the fake does not know ${via.join(' ')}`);
      }
      this.routes.set(key, route);
      return ok;
    }
    if (verb === 'delete') {
      const existing = this.routes.get(key);
      if (!existing) return this.fail(argv, 'route: writing to routing socket: not in table');
      if (via[0] === '-interface' && existing.interface !== via[1]) {
        return this.fail(argv, 'route: writing to routing socket: not in table');
      }
      this.routes.delete(key);
      return ok;
    }
    return this.fail(argv, `route: the fake does not know ${verb}`);
  }

  private networksetup(args: readonly string[]): CommandResult {
    const reply = (stdout: string) => ({ stdout, stderr: '' });
    const [verb, service, ...values] = args;
    if (verb === '-listallnetworkservices') {
      const names = [...this.services.keys()].map((name) => (this.disabledServices.has(name) ? `*${name}` : name));
      return reply(`An asterisk (*) denotes that a network service is disabled.\n${names.join('\n')}\n`);
    }
    const settings = service === undefined ? undefined : this.services.get(service);
    // networksetup reports a bad service on stdout, with exit status 0.
    if (!settings)
      return reply(`${service} is not a recognized network service.\n** Error: The parameters were not valid.\n`);
    switch (verb) {
      case '-getdnsservers':
        return reply(
          settings.servers ? `${settings.servers.join('\n')}\n` : `There aren't any DNS Servers set on ${service}.\n`,
        );
      case '-getsearchdomains':
        return reply(
          settings.domains
            ? `${settings.domains.join('\n')}\n`
            : `There aren't any Search Domains set on ${service}.\n`,
        );
      case '-setdnsservers':
        settings.servers = values.length === 1 && values[0] === 'Empty' ? null : [...values];
        return reply('');
      case '-setsearchdomains':
        settings.domains = values.length === 1 && values[0] === 'Empty' ? null : [...values];
        return reply('');
      default:
        throw new Error(`networksetup: the fake does not know ${verb}`);
    }
  }

  private pfctl(argv: readonly string[], args: readonly string[], input: string | undefined): CommandResult {
    const key = args.join(' ');
    if (key === '-s Anchors') return { stdout: this.pf.mainAnchors.map((name) => `  ${name}\n`).join(''), stderr: '' };
    if (key === '-E') {
      const token = String(this.pf.nextToken++);
      this.pf.references.add(token);
      return {
        stdout: '',
        stderr: `No ALTQ support in kernel\nALTQ related functions disabled\npf enabled\nToken : ${token}\n`,
      };
    }
    if (args[0] === '-X' && args.length === 2) {
      if (!this.pf.references.delete(args[1] ?? '')) return this.fail(argv, 'pfctl: DIOCSTOPREF: Invalid argument');
      return { stdout: '', stderr: 'pf disabled\n' };
    }
    if (args[0] === '-a' && args[1] && args[2] === '-f' && args[3] === '-' && args.length === 4) {
      this.pf.anchors.set(args[1], input ?? '');
      return { stdout: '', stderr: '' };
    }
    if (args[0] === '-a' && args[1] && args[2] === '-F' && args[3] === 'rules' && args.length === 4) {
      this.pf.anchors.set(args[1], '');
      return { stdout: '', stderr: 'rules cleared\n' };
    }
    return this.fail(argv, `pfctl: the fake does not know ${key}`);
  }

  private launchctl(argv: readonly string[], args: readonly string[]): CommandResult {
    const [verb, target, path] = args;
    if (verb === 'bootout' && target?.startsWith('system/')) {
      if (!this.launchd.delete(target.slice('system/'.length))) {
        return this.fail(argv, 'Boot-out failed: 3: No such process', 3);
      }
      return { stdout: '', stderr: '' };
    }
    if (verb === 'enable' && target?.startsWith('system/')) return { stdout: '', stderr: '' };
    if (verb === 'bootstrap' && target === 'system' && path) {
      const label = /([^/]+)\.plist$/.exec(path)?.[1] ?? '';
      this.launchd.set(label, path);
      return { stdout: '', stderr: '' };
    }
    return this.fail(argv, `launchctl: the fake does not know ${args.join(' ')}`);
  }

  // ---- system calls ----

  private readonly memory: { base: bigint; bytes: Uint8Array }[] = [];
  private nextAddress = 0x10000n;
  readonly sockets = new Map<number, FakeSocket>();
  private nextFd = 10;
  private readonly readable = new Map<number, () => void>();
  readonly written: { utun: string; bytes: Uint8Array }[] = [];
  readonly sent: SentDatagram[] = [];
  /** Addresses this Mac no longer has: a send from one fails with EADDRNOTAVAIL. */
  readonly goneAddresses: Uint8Array[] = [];
  freed = 0;

  /** The bytes at `address`, which must lie inside one allocation. */
  at(address: bigint, length: number): Uint8Array {
    for (const block of this.memory) {
      const offset = Number(address - block.base);
      if (offset >= 0 && offset + length <= block.bytes.length) return block.bytes.subarray(offset, offset + length);
    }
    throw new Error(`the fake Mac was handed address 0x${address.toString(16)}, which nobody allocated`);
  }

  /** The kernel has packets for the utun: each is queued with the 4-byte family header the caller gives. */
  queueUtun(utun: string, packets: readonly Uint8Array[]): void {
    const socket = [...this.sockets.values()].find((candidate) => candidate.utun === utun && !candidate.closed);
    if (!socket) throw new Error(`no open ${utun}`);
    socket.inbound.push(...packets);
  }

  queueDatagrams(family: 4 | 6, datagrams: readonly QueuedDatagram[]): void {
    const socket = [...this.sockets.values()].find(
      (s) => s.kind === 'udp' && s.family === family && s.port !== undefined && !s.closed,
    );
    if (!socket) throw new Error(`no open IPv${family} socket`);
    socket.datagrams.push(...datagrams);
  }

  /** The event loop finds `fd` readable. */
  wake(fd: number): void {
    const ready = this.readable.get(fd);
    if (!ready) throw new Error(`nobody watches fd ${fd}`);
    ready();
  }

  fdOf(predicate: (socket: FakeSocket) => boolean): number {
    for (const [fd, socket] of this.sockets) if (!socket.closed && predicate(socket)) return fd;
    throw new Error('no such socket');
  }

  isWatched(fd: number): boolean {
    return this.readable.has(fd);
  }

  readonly sys: DarwinSyscalls = {
    alloc: (size) => {
      const memory: NativeMemory = { address: this.nextAddress, bytes: new Uint8Array(size) };
      this.memory.push({ base: memory.address, bytes: memory.bytes });
      this.nextAddress += BigInt(Math.ceil((size + 1) / 4096) * 4096);
      return memory;
    },
    free: (memory) => {
      const index = this.memory.findIndex((block) => block.base === memory.address);
      if (index === -1) throw new Error('freed twice, or never allocated');
      this.memory.splice(index, 1);
      this.freed++;
    },
    socket: (domain, type, protocol) => {
      this.syscalls.push(`socket ${domain} ${type} ${protocol}`);
      const base = {
        nonBlocking: false,
        cloexec: false,
        options: new Map(),
        inbound: [],
        datagrams: [],
        closed: false,
      };
      const fd = this.nextFd++;
      // sys/socket.h: PF_SYSTEM 32, AF_INET 2, AF_INET6 30; sys/sys_domain.h: SYSPROTO_CONTROL 2.
      if (domain === 32 && type === 2 && protocol === 2) this.sockets.set(fd, { kind: 'control', ...base });
      else if ((domain === 2 || domain === 30) && type === 2 && protocol === 0)
        this.sockets.set(fd, { kind: 'udp', family: domain === 2 ? 4 : 6, ...base });
      else return -EINVAL;
      return fd;
    },
    ioctl: (fd, request, argument) => {
      this.syscalls.push(`ioctl ${fd} 0x${request.toString(16)}`);
      const socket = this.sockets.get(fd);
      // CTLIOCGINFO = _IOWR('N', 3, struct ctl_info): struct ctl_info is 100 bytes.
      if (request === 0xc0644e03 && socket?.kind === 'control') {
        const info = this.at(argument, 100);
        const name = new TextDecoder().decode(info.subarray(4, 4 + info.subarray(4).indexOf(0)));
        if (name !== 'com.apple.net.utun_control') return -2;
        le(info).setUint32(0, UTUN_CTL_ID, true);
        return 0;
      }
      // SIOCGIFMTU _IOWR('i', 51, struct ifreq), SIOCSIFMTU _IOW('i', 52, struct ifreq): 32 bytes, ifru_mtu at 16.
      if ((request === 0xc0206933 || request === 0x80206934) && socket?.kind === 'udp' && socket.family === 4) {
        const ifreq = this.at(argument, 32);
        const name = new TextDecoder().decode(ifreq.subarray(0, ifreq.indexOf(0)));
        const iface = this.interfaces.get(name);
        if (!iface) return -6;
        if (request === 0xc0206933) le(ifreq).setInt32(16, iface.mtu, true);
        else iface.mtu = le(ifreq).getInt32(16, true);
        return 0;
      }
      return -EINVAL;
    },
    connect: (fd, address, length) => {
      const socket = this.sockets.get(fd);
      this.syscalls.push(`connect ${fd} ${length}`);
      if (socket?.kind !== 'control' || length !== 32) return -EINVAL;
      // struct sockaddr_ctl: sc_len, sc_family (AF_SYSTEM), ss_sysaddr (AF_SYS_CONTROL), sc_id, sc_unit.
      const bytes = this.at(address, 32);
      const v = le(bytes);
      if (v.getUint8(0) !== 32 || v.getUint8(1) !== 32 || v.getUint16(2, true) !== 2) return -EINVAL;
      if (v.getUint32(4, true) !== UTUN_CTL_ID) return -EINVAL;
      const unit = v.getUint32(8, true);
      let index = unit === 0 ? 0 : unit - 1;
      if (unit === 0) while (this.interfaces.has(`utun${index}`)) index++;
      const name = `utun${index}`;
      if (this.interfaces.has(name)) return -EBUSY;
      this.interfaces.set(name, { mtu: 1500, up: false, addresses: [] });
      socket.utun = name;
      return 0;
    },
    bind: (fd, address, length) => {
      const socket = this.sockets.get(fd);
      if (socket?.kind !== 'udp') return -EINVAL;
      const bytes = this.at(address, length);
      const expected = socket.family === 4 ? 16 : 28;
      // sin_len / sin6_len first, then the family (AF_INET 2, AF_INET6 30), then the port in network order.
      if (length !== expected || bytes[0] !== expected || bytes[1] !== (socket.family === 4 ? 2 : 30)) return -EINVAL;
      const port = new DataView(bytes.buffer, bytes.byteOffset).getUint16(2, false);
      socket.port = port === 0 ? (this.freePort ?? 49152) : port;
      this.syscalls.push(`bind ${fd} v${socket.family} ${socket.port}`);
      return 0;
    },
    getsockname: (fd, address, lengthCell) => {
      const socket = this.sockets.get(fd);
      if (socket?.kind !== 'udp' || socket.port === undefined) return -EINVAL;
      const size = socket.family === 4 ? 16 : 28;
      const bytes = this.at(address, size);
      bytes.fill(0);
      bytes[0] = size;
      bytes[1] = socket.family === 4 ? 2 : 30;
      new DataView(bytes.buffer, bytes.byteOffset).setUint16(2, socket.port, false);
      le(this.at(lengthCell, 4)).setUint32(0, size, true);
      return 0;
    },
    getsockopt: (fd, level, name, value, lengthCell) => {
      const socket = this.sockets.get(fd);
      this.syscalls.push(`getsockopt ${fd} ${level} ${name}`);
      // SYSPROTO_CONTROL, UTUN_OPT_IFNAME: the name with its NUL, the length in the cell.
      if (socket?.kind !== 'control' || !socket.utun || level !== 2 || name !== 2) return -EINVAL;
      const room = le(this.at(lengthCell, 4)).getUint32(0, true);
      const text = new TextEncoder().encode(`${socket.utun}\0`);
      if (room < text.length) return -EINVAL;
      this.at(value, text.length).set(text);
      le(this.at(lengthCell, 4)).setUint32(0, text.length, true);
      return 0;
    },
    setsockopt: (fd, level, name, value, length) => {
      const socket = this.sockets.get(fd);
      if (!socket || length !== 4) return -EINVAL;
      socket.options.set(`${level}/${name}`, le(this.at(value, 4)).getInt32(0, true));
      return 0;
    },
    fcntl: (fd, command, argument) => {
      const socket = this.sockets.get(fd);
      if (!socket) return -9;
      // sys/fcntl.h: F_SETFD 2 (FD_CLOEXEC 1), F_GETFL 3, F_SETFL 4 (O_NONBLOCK 4).
      if (command === 2) socket.cloexec = (argument & 1) !== 0;
      else if (command === 3) return 0x2 | (socket.nonBlocking ? 4 : 0);
      else if (command === 4) socket.nonBlocking = (argument & 4) !== 0;
      else return -EINVAL;
      return 0;
    },
    read: (fd, buffer, length) => {
      const socket = this.sockets.get(fd);
      if (!socket?.utun) return -EINVAL;
      const packet = socket.inbound.shift();
      if (!packet) return socket.nonBlocking ? -EAGAIN : -EINVAL;
      const n = Math.min(length, packet.length);
      this.at(buffer, n).set(packet.subarray(0, n));
      return n;
    },
    write: (fd, buffer, length) => {
      const socket = this.sockets.get(fd);
      if (!socket?.utun) return -EINVAL;
      this.written.push({ utun: socket.utun, bytes: this.at(buffer, length).slice() });
      return length;
    },
    recvmsg: (fd, message, flags) => {
      const socket = this.sockets.get(fd);
      if (socket?.kind !== 'udp' || flags !== 0) return -EINVAL;
      const datagram = socket.datagrams.shift();
      if (!datagram) return socket.nonBlocking ? -EAGAIN : -EINVAL;
      return deliver(this, socket.family ?? 4, message, datagram, socket.options);
    },
    sendmsg: (fd, message, flags) => {
      const socket = this.sockets.get(fd);
      if (socket?.kind !== 'udp' || flags !== 0) return -EINVAL;
      const sent = readSent(this, socket.family ?? 4, message);
      if (sent.source && this.goneAddresses.some((gone) => equal(gone, sent.source!))) return -EADDRNOTAVAIL;
      this.sent.push(sent);
      return sent.data.length;
    },
    close: (fd) => {
      const socket = this.sockets.get(fd);
      if (!socket || socket.closed) return -9;
      if (this.readable.has(fd)) throw new Error(`fd ${fd} closed while the event loop still watches it`);
      socket.closed = true;
      // A utun goes away with the last descriptor of its control socket, and its addresses and routes with it.
      if (socket.utun) {
        this.interfaces.delete(socket.utun);
        for (const [key, route] of this.routes) if (route.interface === socket.utun) this.routes.delete(key);
      }
      return 0;
    },
    watchReadable: (fd, ready) => {
      if (this.readable.has(fd)) throw new Error(`fd ${fd} watched twice`);
      this.readable.set(fd, ready);
      return () => this.readable.delete(fd);
    },
  };

  freePort: number | undefined;
}

/** Any number works: the kernel assigns it at boot; the fake checks that connect() gets this one back. */
const UTUN_CTL_ID = 0x5a17;

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** sys/socket.h's struct msghdr on LP64: name 0, namelen 8, iov 16, iovlen 24, control 32, controllen 40, flags 44. */
function readMsghdr(mac: FakeMac, message: bigint) {
  const v = le(mac.at(message, 48));
  return {
    name: v.getBigUint64(0, true),
    nameLength: v.getUint32(8, true),
    iov: v.getBigUint64(16, true),
    iovLength: v.getInt32(24, true),
    control: v.getBigUint64(32, true),
    controlLength: v.getUint32(40, true),
    view: v,
  };
}

function deliver(
  mac: FakeMac,
  family: 4 | 6,
  message: bigint,
  datagram: QueuedDatagram,
  options: Map<string, number>,
): number {
  const header = readMsghdr(mac, message);
  if (header.iovLength !== 1) throw new Error('the fake reads one iovec');
  const iov = le(mac.at(header.iov, 16));
  const room = Number(iov.getBigUint64(8, true));
  const n = Math.min(room, datagram.data.length);
  mac.at(iov.getBigUint64(0, true), n).set(datagram.data.subarray(0, n));
  const nameSize = family === 4 ? 16 : 28;
  if (header.nameLength < nameSize) throw new Error('no room for the source address');
  const name = mac.at(header.name, nameSize);
  name.fill(0);
  name[0] = nameSize;
  name[1] = family === 4 ? 2 : 30;
  new DataView(name.buffer, name.byteOffset).setUint16(2, datagram.port, false);
  name.set(datagram.address, family === 4 ? 4 : 8);
  header.view.setUint32(8, nameSize, true);
  // IP_RECVPKTINFO (26) or IPV6_RECVPKTINFO (61) asked for: a cmsghdr of 12 bytes, then in_pktinfo or in6_pktinfo.
  let controlLength = 0;
  const wanted = family === 4 ? options.get('0/26') === 1 : options.get('41/61') === 1;
  if (wanted && datagram.local) {
    const dataLength = family === 4 ? 12 : 20;
    const control = mac.at(header.control, 12 + dataLength);
    const c = le(control);
    c.setUint32(0, 12 + dataLength, true);
    c.setInt32(4, family === 4 ? 0 : 41, true);
    c.setInt32(8, family === 4 ? 26 : 46, true);
    if (family === 4) {
      c.setUint32(12, datagram.interfaceIndex ?? 0, true);
      control.set(datagram.local, 16);
      control.set(datagram.local, 20);
    } else {
      control.set(datagram.local, 12);
      c.setUint32(28, datagram.interfaceIndex ?? 0, true);
    }
    controlLength = 12 + dataLength;
  }
  header.view.setUint32(40, controlLength, true);
  // MSG_TRUNC (0x10) when the datagram did not fit.
  header.view.setInt32(44, n < datagram.data.length ? 0x10 : 0, true);
  return n;
}

function readSent(mac: FakeMac, family: 4 | 6, message: bigint): SentDatagram {
  const header = readMsghdr(mac, message);
  const iov = le(mac.at(header.iov, 16));
  const data = mac.at(iov.getBigUint64(0, true), Number(iov.getBigUint64(8, true))).slice();
  const nameSize = family === 4 ? 16 : 28;
  const name = mac.at(header.name, header.nameLength);
  if (header.nameLength !== nameSize || name[0] !== nameSize || name[1] !== (family === 4 ? 2 : 30)) {
    throw new Error(`a malformed destination: ${[...name].join(',')}`);
  }
  const port = new DataView(name.buffer, name.byteOffset).getUint16(2, false);
  const address = name.slice(family === 4 ? 4 : 8, family === 4 ? 8 : 24);
  if (header.controlLength === 0) return { family, address, port, data };
  const control = mac.at(header.control, header.controlLength);
  const c = le(control);
  const level = c.getInt32(4, true);
  const type = c.getInt32(8, true);
  if (family === 4 && level === 0 && type === 26 && c.getUint32(0, true) === 24) {
    return { family, address, port, data, source: control.slice(16, 20), sourceInterface: c.getUint32(12, true) };
  }
  if (family === 6 && level === 41 && type === 46 && c.getUint32(0, true) === 32) {
    return { family, address, port, data, source: control.slice(12, 28), sourceInterface: c.getUint32(28, true) };
  }
  throw new Error(`an unexpected control message: level ${level} type ${type}`);
}
