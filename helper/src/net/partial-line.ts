// The unfinished end of a line-oriented byte stream: what arrived after the
// last newline, kept until the rest of the line does. Both line protocols the
// helper speaks (its own JSON lines and wg's control protocol) cut streams so.

export class PartialLine {
  private pieces: Uint8Array[] = [];
  private bytes = 0;

  /** Bytes held for the line so far. */
  get size(): number {
    return this.bytes;
  }

  /** Keeps a copy: the caller may reuse the chunk's memory. */
  append(piece: Uint8Array): void {
    this.pieces.push(piece.slice());
    this.bytes += piece.length;
  }

  /** The whole line, ending with `tail`; the buffer is empty afterwards. */
  complete(tail: Uint8Array): Uint8Array {
    if (this.pieces.length === 0) return tail;
    const line = new Uint8Array(this.bytes + tail.length);
    let offset = 0;
    for (const piece of [...this.pieces, tail]) {
      line.set(piece, offset);
      offset += piece.length;
    }
    this.clear();
    return line;
  }

  clear(): void {
    this.pieces = [];
    this.bytes = 0;
  }
}
