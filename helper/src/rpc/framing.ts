// Newline-delimited JSON with a size limit per message, enforced while reading:
// a line longer than the limit is reported once and then skipped as it streams
// past, so a client can never make the reader hold more than the limit.
import { PartialLine } from '../net/partial-line.js';
import { ProtocolError } from './errors.js';

/** Room for the largest config (1 MiB) even after JSON escaping, with headroom. */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

export type Frame =
  { readonly kind: 'message'; readonly value: unknown } | { readonly kind: 'error'; readonly error: ProtocolError };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class MessageReader {
  private readonly partial = new PartialLine();
  /** Inside an oversized line, until its newline. */
  private skipping = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly maxBytes = MAX_MESSAGE_BYTES) {}

  /** Takes the next bytes of the stream; returns the messages (and errors) they complete. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline < 0 ? chunk.length : newline;
      if (this.skipping) {
        this.skipping = newline < 0;
      } else if (this.partial.size + end - start > this.maxBytes) {
        frames.push({
          kind: 'error',
          error: new ProtocolError(
            'message-too-large',
            `a message may be at most ${this.maxBytes} bytes; this one was skipped`,
          ),
        });
        this.partial.clear();
        this.skipping = newline < 0;
      } else if (newline < 0) {
        this.partial.append(chunk.subarray(start));
      } else {
        const frame = this.parse(this.partial.complete(chunk.subarray(start, newline)));
        if (frame) frames.push(frame);
      }
      if (newline < 0) break;
      start = newline + 1;
    }
    return frames;
  }

  /** Bytes held for an unfinished line. */
  get buffered(): number {
    return this.partial.size;
  }

  private parse(line: Uint8Array): Frame | undefined {
    const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    if (end === 0) return undefined;
    let text: string;
    try {
      text = this.decoder.decode(line.subarray(0, end));
    } catch {
      return { kind: 'error', error: new ProtocolError('bad-message', 'a message must be UTF-8 text') };
    }
    try {
      return { kind: 'message', value: JSON.parse(text) as unknown };
    } catch {
      return { kind: 'error', error: new ProtocolError('bad-message', 'a message must be one line of JSON') };
    }
  }
}

/** One message as a line of the stream. */
export function encodeMessage(message: object): string {
  return `${JSON.stringify(message)}\n`;
}
