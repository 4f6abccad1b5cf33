// A batch of transport-message AEAD jobs laid out in one SharedArrayBuffer, so
// that a worker thread (or the native addon) can seal and open them in place.
//
// Layout: [control words][job descriptors][keys][frames]. A frame is a whole
// transport message: 16 header bytes, the payload, 16 tag bytes. The engine
// writes headers and plaintext (or the received message), the AEAD step
// overwrites payloads in place, and the driver sends or writes straight from
// the frames. Key copies are wiped when the batch is reset.

export const JOB_WORDS = 8;
export const JOB = {
  op: 0,
  frameOffset: 1,
  length: 2,
  counterLow: 3,
  counterHigh: 4,
  keyOffset: 5,
  result: 6,
} as const;
export const OP_SEAL = 1;
export const OP_OPEN = 2;
export const RESULT_OK = 1;
export const HEADER_BYTES = 16;
export const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Shared words at the start of a batch; the first is the job count. */
export const CONTROL_WORDS = 4;

export const DEFAULT_BATCH_JOBS = 128;
/** Room for a batch of full-size packets at MTU 1420, or a few jumbo ones. */
export const DEFAULT_BATCH_FRAME_BYTES = 256 * 1024;

export class TransportBatch {
  readonly buffer: SharedArrayBuffer;
  readonly control: Int32Array;
  readonly jobs: Uint32Array;
  readonly data: Uint8Array;
  private readonly keysOffset: number;
  private readonly framesOffset: number;
  private nextFrame: number;

  constructor(
    readonly capacity = DEFAULT_BATCH_JOBS,
    frameBytes = DEFAULT_BATCH_FRAME_BYTES,
    buffer?: SharedArrayBuffer,
  ) {
    const controlBytes = CONTROL_WORDS * 4;
    const jobBytes = capacity * JOB_WORDS * 4;
    this.keysOffset = 0;
    this.framesOffset = capacity * KEY_BYTES;
    const dataBytes = this.framesOffset + frameBytes;
    this.buffer = buffer ?? new SharedArrayBuffer(controlBytes + jobBytes + dataBytes);
    this.control = new Int32Array(this.buffer, 0, CONTROL_WORDS);
    this.jobs = new Uint32Array(this.buffer, controlBytes, capacity * JOB_WORDS);
    this.data = new Uint8Array(this.buffer, controlBytes + jobBytes, dataBytes);
    this.nextFrame = this.framesOffset;
  }

  /** Rebuilds the view of a batch received from another thread. */
  static view(buffer: SharedArrayBuffer, capacity: number): TransportBatch {
    const controlBytes = CONTROL_WORDS * 4;
    const frameBytes = buffer.byteLength - controlBytes - capacity * JOB_WORDS * 4 - capacity * KEY_BYTES;
    return new TransportBatch(capacity, frameBytes, buffer);
  }

  /** Kept in shared memory so that the thread processing the batch sees it. */
  get count(): number {
    return this.control[0]!;
  }

  set count(value: number) {
    this.control[0] = value;
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** Whether a job with this payload length (plus header and tag) still fits. */
  fits(payloadLength: number): boolean {
    return !this.isFull && this.nextFrame + HEADER_BYTES + payloadLength + TAG_BYTES <= this.data.length;
  }

  private addJob(op: number, key: Uint8Array, counter: bigint, length: number): number {
    const index = this.count++;
    const frameOffset = this.nextFrame;
    this.nextFrame += HEADER_BYTES + length + (op === OP_SEAL ? TAG_BYTES : 0);
    const keyOffset = this.keysOffset + index * KEY_BYTES;
    this.data.set(key, keyOffset);
    const job = index * JOB_WORDS;
    const jobs = this.jobs;
    jobs[job + JOB.op] = op;
    jobs[job + JOB.frameOffset] = frameOffset;
    jobs[job + JOB.length] = length;
    jobs[job + JOB.counterLow] = Number(counter & 0xffffffffn);
    jobs[job + JOB.counterHigh] = Number(counter >> 32n);
    jobs[job + JOB.keyOffset] = keyOffset;
    jobs[job + JOB.result] = 0;
    return index;
  }

  /**
   * Adds a packet to seal, zero-padded to `paddedLength`; the caller writes the
   * header into frame(index) afterwards. Check fits(paddedLength) first. The
   * header starts zeroed: batches are reused, and a frame must never show
   * bytes of an earlier batch's messages.
   */
  addSeal(key: Uint8Array, counter: bigint, packet: Uint8Array, paddedLength: number): number {
    const index = this.addJob(OP_SEAL, key, counter, paddedLength);
    const frameOffset = this.jobs[index * JOB_WORDS + JOB.frameOffset]!;
    const payload = frameOffset + HEADER_BYTES;
    this.data.fill(0, frameOffset, payload);
    this.data.set(packet, payload);
    this.data.fill(0, payload + packet.length, payload + paddedLength);
    return index;
  }

  /** Adds a received transport message (header, ciphertext, tag) to open. */
  addOpen(key: Uint8Array, counter: bigint, message: Uint8Array): number {
    const index = this.addJob(OP_OPEN, key, counter, message.length - HEADER_BYTES);
    this.data.set(message, this.jobs[index * JOB_WORDS + JOB.frameOffset]!);
    return index;
  }

  succeeded(index: number): boolean {
    return this.jobs[index * JOB_WORDS + JOB.result] === RESULT_OK;
  }

  /** The whole message: after sealing, what goes on the wire. */
  frame(index: number): Uint8Array {
    const job = index * JOB_WORDS;
    const offset = this.jobs[job + JOB.frameOffset]!;
    const tag = this.jobs[job + JOB.op] === OP_SEAL ? TAG_BYTES : 0;
    return this.data.subarray(offset, offset + HEADER_BYTES + this.jobs[job + JOB.length]! + tag);
  }

  /** After opening, the plaintext. */
  plaintext(index: number): Uint8Array {
    const job = index * JOB_WORDS;
    const offset = this.jobs[job + JOB.frameOffset]! + HEADER_BYTES;
    return this.data.subarray(offset, offset + this.jobs[job + JOB.length]! - TAG_BYTES);
  }

  /** Empties the batch and wipes the key copies it held. */
  reset(): void {
    this.data.fill(0, this.keysOffset, this.keysOffset + this.count * KEY_BYTES);
    this.count = 0;
    this.nextFrame = this.framesOffset;
  }
}
