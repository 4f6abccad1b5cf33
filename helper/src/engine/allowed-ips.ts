// Cryptokey routing (whitepaper section 2): which peer owns the network an address is
// in. A binary trie per address family with single-child chains compressed away, so
// a lookup visits at most one node per distinct prefix length on its path.
//
// Addresses are compared as big-endian 32-bit words: one for IPv4, four for IPv6. A
// lookup reads the packet's address straight into locals, so the per-packet path
// allocates nothing.
import type { Cidr, IpFamily } from '../net/ip.js';
import { maskCidr } from '../net/ip.js';

/**
 * A network in the trie: its address as words and four word/mask pairs, so
 * that matching an address costs four xor-and-compares whatever the prefix
 * (IPv4 uses only the first pair). Nothing else: a server may route 100,000
 * networks, and its Cidr is made from the words when asked for.
 */
class TrieNode<T> {
  readonly key0: number;
  readonly key1: number;
  readonly key2: number;
  readonly key3: number;
  readonly mask0: number;
  readonly mask1: number;
  readonly mask2: number;
  readonly mask3: number;
  /** undefined for a node that only joins two branches. */
  value: T | undefined = undefined;
  parent: TrieNode<T> | undefined = undefined;
  /** Children by the address bit at position `prefix`; fields rather than an array to save a hop per node. */
  zero: TrieNode<T> | undefined = undefined;
  one: TrieNode<T> | undefined = undefined;

  /** `key` is the network with host bits cleared. */
  constructor(
    key: Words,
    readonly prefix: number,
    readonly family: IpFamily,
  ) {
    this.key0 = key[0];
    this.key1 = key[1];
    this.key2 = key[2];
    this.key3 = key[3];
    this.mask0 = prefixMask(prefix, 0);
    this.mask1 = prefixMask(prefix, 1);
    this.mask2 = prefixMask(prefix, 2);
    this.mask3 = prefixMask(prefix, 3);
  }

  get key(): Words {
    return [this.key0, this.key1, this.key2, this.key3];
  }

  get cidr(): Cidr {
    const bytes = new Uint8Array(this.family === 4 ? 4 : 16);
    const words = this.key;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (words[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
    return { family: this.family, bytes, prefix: this.prefix };
  }

  child(bit: number): TrieNode<T> | undefined {
    return bit === 0 ? this.zero : this.one;
  }

  matches(a0: number, a1: number, a2: number, a3: number): boolean {
    return (
      ((a0 ^ this.key0) & this.mask0) === 0 &&
      ((a1 ^ this.key1) & this.mask1) === 0 &&
      ((a2 ^ this.key2) & this.mask2) === 0 &&
      ((a3 ^ this.key3) & this.mask3) === 0
    );
  }
}

/** An address as four big-endian words, zero past its end (IPv4 fills only the first). */
type Words = readonly [number, number, number, number];

class FamilyTrie<T> {
  root: TrieNode<T> | undefined;

  constructor(readonly family: IpFamily) {}

  /** The node for exactly this (masked) network, if there is one. */
  find(network: Cidr): TrieNode<T> | undefined {
    const key = wordsOf(network.bytes);
    let node = this.root;
    while (node && node.prefix < network.prefix) node = node.child(bitAt(key, node.prefix));
    return node && node.prefix === network.prefix && node.matches(key[0], key[1], key[2], key[3]) ? node : undefined;
  }

  /** The node for exactly this (masked) network, created without a value if absent. */
  place(network: Cidr): TrieNode<T> {
    const key = wordsOf(network.bytes);
    const prefix = network.prefix;
    let parent: TrieNode<T> | undefined;
    let node = this.root;
    while (node && node.prefix <= prefix && node.matches(key[0], key[1], key[2], key[3])) {
      if (node.prefix === prefix) return node;
      parent = node;
      node = node.child(bitAt(key, node.prefix));
    }
    const created = new TrieNode<T>(key, prefix, this.family);
    if (!node) {
      this.attach(parent, created, key);
      return created;
    }
    // `node` diverges from the new network somewhere before either prefix ends.
    const nodeKey = node.key;
    const common = Math.min(prefix, commonPrefixLength(nodeKey, key));
    if (common === prefix) {
      this.attach(parent, created, key);
      this.attach(created, node, nodeKey);
      return created;
    }
    const junction = new TrieNode<T>(maskWords(key, common), common, this.family);
    this.attach(parent, junction, key);
    this.attach(junction, node, nodeKey);
    this.attach(junction, created, key);
    return created;
  }

  /** Drops a node that has lost its value, and any junction left with one branch. */
  prune(node: TrieNode<T>): void {
    let current: TrieNode<T> | undefined = node;
    while (current && current.value === undefined) {
      if (current.zero && current.one) return;
      const parent: TrieNode<T> | undefined = current.parent;
      this.attach(parent, current.zero ?? current.one, current.key);
      current = parent;
    }
  }

  /** Puts `child` (or nothing) where `key` leads from `parent`, or at the root. */
  private attach(parent: TrieNode<T> | undefined, child: TrieNode<T> | undefined, key: Words): void {
    if (!parent) this.root = child;
    else if (bitAt(key, parent.prefix) === 0) parent.zero = child;
    else parent.one = child;
    if (child) child.parent = parent;
  }
}

export class AllowedIps<T> {
  private readonly v4 = new FamilyTrie<T>(4);
  private readonly v6 = new FamilyTrie<T>(6);
  /** Each value's nodes, in the order they were given to it. */
  private readonly byValue = new Map<T, Set<TrieNode<T>>>();

  /** Routes the network (host bits ignored) to `value`, taking it from any other. */
  insert(cidr: Cidr, value: T): void {
    const node = this.trie(cidr.family).place(maskCidr(cidr));
    if (node.value !== undefined) this.forget(node, node.value);
    node.value = value;
    let nodes = this.byValue.get(value);
    if (!nodes) this.byValue.set(value, (nodes = new Set()));
    nodes.add(node);
  }

  /** Removes the network (host bits ignored) if it is routed to `value`. */
  remove(cidr: Cidr, value: T): boolean {
    const node = this.trie(cidr.family).find(maskCidr(cidr));
    if (node === undefined || node.value !== value) return false;
    this.unroute(node, value);
    return true;
  }

  /** Removes every network routed to `value`. */
  removeValue(value: T): void {
    for (const node of this.byValue.get(value) ?? []) this.unroute(node, value);
  }

  /**
   * The value owning the most specific network that holds the address of the given
   * family starting at `offset` in `address` (which may be a whole packet).
   */
  lookup(family: IpFamily, address: Uint8Array, offset = 0): T | undefined {
    const a0 = readWord(address, offset);
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    if (family === 6) {
      a1 = readWord(address, offset + 4);
      a2 = readWord(address, offset + 8);
      a3 = readWord(address, offset + 12);
    }
    const bits = family === 4 ? 32 : 128;
    let found: T | undefined;
    let node = this.trie(family).root;
    while (node && node.matches(a0, a1, a2, a3)) {
      if (node.value !== undefined) found = node.value;
      const position = node.prefix;
      if (position === bits) break;
      const word = position < 32 ? a0 : position < 64 ? a1 : position < 96 ? a2 : a3;
      node = ((word >>> (31 - (position & 31))) & 1) === 0 ? node.zero : node.one;
    }
    return found;
  }

  /** The networks routed to `value`, in the order they were routed to it. */
  entriesFor(value: T): Cidr[] {
    return [...(this.byValue.get(value) ?? [])].map((node) => node.cidr);
  }

  clear(): void {
    this.v4.root = undefined;
    this.v6.root = undefined;
    this.byValue.clear();
  }

  private trie(family: IpFamily): FamilyTrie<T> {
    return family === 4 ? this.v4 : this.v6;
  }

  private unroute(node: TrieNode<T>, value: T): void {
    this.forget(node, value);
    node.value = undefined;
    this.trie(node.family).prune(node);
  }

  /** Drops the node from its value's list. */
  private forget(node: TrieNode<T>, value: T): void {
    const nodes = this.byValue.get(value);
    nodes?.delete(node);
    if (nodes?.size === 0) this.byValue.delete(value);
  }
}

function readWord(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}

function wordsOf(bytes: Uint8Array): Words {
  return [
    readWord(bytes, 0) >>> 0,
    bytes.length > 4 ? readWord(bytes, 4) >>> 0 : 0,
    bytes.length > 8 ? readWord(bytes, 8) >>> 0 : 0,
    bytes.length > 12 ? readWord(bytes, 12) >>> 0 : 0,
  ];
}

/** The bits of word `index` that lie within the first `prefix` bits. */
function prefixMask(prefix: number, index: number): number {
  const keep = Math.min(Math.max(prefix - index * 32, 0), 32);
  return keep === 0 ? 0 : ~0 << (32 - keep);
}

function bitAt(words: Words, position: number): 0 | 1 {
  return ((words[position >>> 5]! >>> (31 - (position & 31))) & 1) as 0 | 1;
}

function commonPrefixLength(a: Words, b: Words): number {
  for (let i = 0; i < 4; i++) {
    const difference = (a[i]! ^ b[i]!) >>> 0;
    if (difference !== 0) return i * 32 + Math.clz32(difference);
  }
  return 128;
}

function maskWords(words: Words, prefix: number): Words {
  return [
    words[0] & prefixMask(prefix, 0),
    words[1] & prefixMask(prefix, 1),
    words[2] & prefixMask(prefix, 2),
    words[3] & prefixMask(prefix, 3),
  ];
}
