/** PostgreSQL's binary COPY: an 11-byte signature, flags, header extension, tuples, trailer -1. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Reads the one column of a `COPY (SELECT data …) TO STDOUT (FORMAT binary)` stream from pieces of
 * any size, as the connection delivers them: push() returns the values the piece completes, each
 * one field's bytes, and end() says whether the trailer was seen. A value is handed over whole,
 * however many pieces it arrived in.
 */
export class BinaryCopyFields {
  /** bytes received and not yet consumed, as a list (a 1 MiB value arrives in many pieces) */
  private parts: Buffer[] = [];
  private have = 0;
  private need = 19; // signature, flags, extension length
  private state: 'header' | 'extension' | 'tuple' | 'field' | 'end' = 'header';

  /** The values completed by this piece. */
  push(piece: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.parts.push(piece);
    this.have += piece.length;
    while (this.state !== 'end' && this.have >= this.need) {
      if (this.state === 'header') {
        const h = this.take(19);
        if (!h.subarray(0, 11).equals(SIGNATURE)) throw new Error('stored file: not a binary COPY stream');
        this.need = h.readUInt32BE(15);
        this.state = 'extension';
      } else if (this.state === 'extension') {
        this.take(this.need);
        this.need = 2;
        this.state = 'tuple';
      } else if (this.state === 'tuple') {
        const fields = this.peek(2).readInt16BE(0);
        if (fields === -1) {
          this.take(2);
          this.state = 'end';
        } else {
          this.need = 6; // field count and the field's length
          if (this.have < this.need) break;
          const f = this.take(6);
          this.need = f.readInt32BE(2);
          this.state = 'field';
        }
      } else {
        out.push(this.take(this.need));
        this.need = 2;
        this.state = 'tuple';
      }
    }
    return out;
  }

  /** At the end of the stream: throws unless the trailer was read. */
  end(): void {
    if (this.state !== 'end') throw new Error('stored file: the COPY stream ended early');
  }

  private take(n: number): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.have);
    this.parts = all.length > n ? [all.subarray(n)] : [];
    this.have -= n;
    return all.subarray(0, n);
  }

  private peek(n: number): Buffer {
    return this.parts[0].length >= n ? this.parts[0] : (this.parts = [Buffer.concat(this.parts, this.have)])[0];
  }
}
