// What this CPU offers the crypto, read from the kernel's /proc/cpuinfo rather
// than from the addon, whose own detection the tests check against it. The
// kernel lists a feature only where the OS also saves its registers. Tests
// assert the backend each CPU should get, and the portable code on all of them.
import { readFileSync } from 'node:fs';

function cpuFlags(): ReadonlySet<string> {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const line = /^(?:flags|Features)\s*:(.*)$/m.exec(info);
  return new Set(line ? line[1]!.trim().split(/\s+/) : []);
}

const flags = cpuFlags();

export const hasAvx2 = flags.has('avx') && flags.has('avx2');
export const hasIfma = flags.has('avx512f') && flags.has('avx512ifma');

/** The addon's own ChaCha20-Poly1305 here: AVX2 where the CPU has it. */
export const ownAeadBackend = hasAvx2 ? 'avx2' : 'portable';
/** The addon's own X25519 here, without OpenSSL: the IFMA ladder where the CPU has it. */
export const ownX25519Backend = hasIfma ? 'avx512ifma' : 'portable';
