// Cuts the byte stream of one control-socket connection into operations, with
// limits, so that a client can neither desynchronise the conversation nor make
// the helper hold unbounded amounts of its text.
import { PartialLine } from '../net/partial-line.js';
import { EINVAL, EIO, EMSGSIZE } from './errno.js';
import { UapiError } from './model.js';

/** Longer than any line the protocol has (the longest is about 80 bytes). */
export const UAPI_MAX_LINE_BYTES = 4096;
/** Room for some 60,000 peers' worth of allowed_ip lines in one set request. */
export const UAPI_MAX_SET_BYTES = 4 * 1024 * 1024;

export type UapiOperation =
  | { readonly kind: 'get' }
  /** The lines between `set=1` and the blank line that ends the request. */
  | { readonly kind: 'set'; readonly lines: readonly string[] }
  /** Answer with this error and read on. */
  | { readonly kind: 'reject'; readonly error: UapiError }
  /** Stop reading: answer with the error if there is one, then close. */
  | { readonly kind: 'close'; readonly reason: string; readonly error?: UapiError };

type State =
  | { readonly name: 'operation' }
  | { readonly name: 'get' }
  | { readonly name: 'set'; readonly lines: string[]; bytes: number }
  | { readonly name: 'closed' };

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
      const bytes = this.partial.size + end - start;
      const operation = this.takeLine(this.decoder.decode(this.partial.complete(chunk.subarray(start, newline))), bytes);
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
    return [{ kind: 'set', lines: last === '' ? state.lines : [...state.lines, last] }];
  }

  private takeLine(line: string, bytes: number): UapiOperation | undefined {
    const state = this.state;
    switch (state.name) {
      case 'operation':
        return this.takeOperationLine(line);
      case 'get':
        this.state = { name: 'operation' };
        if (line === '') return { kind: 'get' };
        return { kind: 'reject', error: new UapiError(EINVAL, 'get=1 must be followed by a blank line') };
      case 'set':
        return this.takeSetLine(state, line, bytes);
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
      this.state = { name: 'set', lines: [], bytes: 0 };
      return undefined;
    }
    // wireguard-go hangs up on an unknown operation without an answer.
    this.state = { name: 'closed' };
    return { kind: 'close', reason: `unknown operation ${JSON.stringify(line.slice(0, 40))}` };
  }

  private takeSetLine(state: State & { name: 'set' }, line: string, bytes: number): UapiOperation | undefined {
    if (line === '') {
      this.state = { name: 'operation' };
      return { kind: 'set', lines: state.lines };
    }
    state.bytes += bytes + 1;
    if (state.bytes > UAPI_MAX_SET_BYTES) {
      this.state = { name: 'closed' };
      return {
        kind: 'close',
        reason: 'set request too large',
        error: new UapiError(EMSGSIZE, `set request over ${UAPI_MAX_SET_BYTES} bytes`),
      };
    }
    state.lines.push(line);
    return undefined;
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
