// Cuts the byte stream of one control-socket connection into operations, with
// limits, so that a client can neither desynchronise the conversation nor make
// the helper hold unbounded amounts of its text. A set request comes out line
// by line, to be applied as it streams in: a server's request for 100,000
// peers is tens of megabytes, and only a line at a time of it is ever held.
import { PartialLine } from '../net/partial-line.js';
import { EINVAL, EIO } from './errno.js';
import { UapiError } from './model.js';

/** Longer than any line the protocol has (the longest is about 80 bytes). */
export const UAPI_MAX_LINE_BYTES = 4096;

export type UapiOperation =
  | { readonly kind: 'get' }
  /** `set=1`: a request begins; its lines follow, then set-end. */
  | { readonly kind: 'set-begin' }
  | { readonly kind: 'set-line'; readonly line: string }
  /** The blank line that ends a set request, or the end of the stream in its middle. */
  | { readonly kind: 'set-end' }
  /** Answer with this error and read on. */
  | { readonly kind: 'reject'; readonly error: UapiError }
  /** Stop reading: answer with the error if there is one, then close. */
  | { readonly kind: 'close'; readonly reason: string; readonly error?: UapiError };

type State =
  { readonly name: 'operation' } | { readonly name: 'get' } | { readonly name: 'set' } | { readonly name: 'closed' };

const NEWLINE = 0x0a;

export class UapiRequestReader {
  private state: State = { name: 'operation' };
  private readonly partial = new PartialLine();
  private readonly decoder = new TextDecoder();

  get closed(): boolean {
    return this.state.name === 'closed';
  }

  /** Takes the next bytes of the stream; returns the operations they complete. */
  push(chunk: Uint8Array): UapiOperation[] {
    const operations: UapiOperation[] = [];
    let start = 0;
    while (!this.closed) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline < 0 ? chunk.length : newline;
      if (this.partial.size + end - start > UAPI_MAX_LINE_BYTES) {
        operations.push(this.closeOnLongLine());
        break;
      }
      if (newline < 0) {
        if (end > start) this.partial.append(chunk.subarray(start));
        break;
      }
      const operation = this.takeLine(this.decoder.decode(this.partial.complete(chunk.subarray(start, newline))));
      if (operation) operations.push(operation);
      start = newline + 1;
    }
    return operations;
  }

  /**
   * The client stopped writing. A set request cut short by the end of the stream
   * still counts, its last line too, as wireguard-go counts it.
   */
  end(): UapiOperation[] {
    const state = this.state;
    this.state = { name: 'closed' };
    if (state.name !== 'set') return [];
    const last = this.decoder.decode(this.partial.complete(new Uint8Array(0)));
    return last === '' ? [{ kind: 'set-end' }] : [{ kind: 'set-line', line: last }, { kind: 'set-end' }];
  }

  private takeLine(line: string): UapiOperation | undefined {
    const state = this.state;
    switch (state.name) {
      case 'operation':
        return this.takeOperationLine(line);
      case 'get':
        this.state = { name: 'operation' };
        if (line === '') return { kind: 'get' };
        return { kind: 'reject', error: new UapiError(EINVAL, 'get=1 must be followed by a blank line') };
      case 'set':
        return this.takeSetLine(line);
      case 'closed':
        return undefined;
    }
  }

  private takeOperationLine(line: string): UapiOperation | undefined {
    if (line === 'get=1') {
      this.state = { name: 'get' };
      return undefined;
    }
    if (line === 'set=1') {
      this.state = { name: 'set' };
      return { kind: 'set-begin' };
    }
    // wireguard-go hangs up on an unknown operation without an answer.
    this.state = { name: 'closed' };
    return { kind: 'close', reason: `unknown operation ${JSON.stringify(line.slice(0, 40))}` };
  }

  private takeSetLine(line: string): UapiOperation {
    if (line !== '') return { kind: 'set-line', line };
    this.state = { name: 'operation' };
    return { kind: 'set-end' };
  }

  private closeOnLongLine(): UapiOperation {
    const inSet = this.state.name === 'set';
    this.state = { name: 'closed' };
    this.partial.clear();
    const reason = `line over ${UAPI_MAX_LINE_BYTES} bytes`;
    // Inside a set request wireguard-go's line scanner fails with EIO; elsewhere it is no operation.
    return inSet ? { kind: 'close', reason, error: new UapiError(EIO, reason) } : { kind: 'close', reason };
  }
}
