import { integerAt, ipv4At } from './copy-bytes';
import type { Matcher, RouteDecision } from '../registry/matcher';

const TAB = 9;
const NL = 10;
/** The output piece's size unless told (ROUTE_OUT_BYTES). */
export const OUT_SIZE = 1 << 20;

/**
 * Turns COPY rows `seq, id, ip, epoch ms` into COPY rows of decisions, `list, seq, id, member,
 * state, reason`, working on bytes: seq and id are copied through, an IPv4 address is read
 * straight into its 32-bit value (an IPv6 one as text), and each decision's bytes are made once.
 */
export class DecisionRows {
  private readonly prefix: Buffer;
  private readonly tails = new Map<RouteDecision, Buffer>();
  private readonly counts = new Map<RouteDecision, number>();
  private buf: Buffer;
  private pos = 0;
  private carry: Buffer | null = null;

  /**
   * `emit` receives the decisions' bytes, whole rows only, a piece of up to `outSize` bytes at a
   * time (a single row longer than that is a piece of its own).
   */
  constructor(
    listId: number,
    private readonly matcher: Matcher,
    private readonly emit: (piece: Buffer) => void,
    private readonly outSize = OUT_SIZE,
  ) {
    this.prefix = Buffer.from(`${listId}\t`);
    this.buf = Buffer.allocUnsafe(outSize);
  }

  read(chunk: Buffer): void {
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    let line = 0;
    for (;;) {
      const nl = data.indexOf(NL, line);
      if (nl < 0) break;
      const t1 = data.indexOf(TAB, line);
      const t2 = data.indexOf(TAB, t1 + 1);
      const t3 = data.indexOf(TAB, t2 + 1);
      if (t1 < 0 || t3 < 0 || t3 > nl)
        throw new Error(`route chunk: a row of COPY output is not seq, id, ip, time: ${data.toString('utf8', line, nl)}`);
      const t = integerAt(data, t3 + 1, nl);
      const v4 = ipv4At(data, t2 + 1, t3);
      const d = v4 >= 0 ? this.matcher.route4(v4, t) : this.matcher.route(data.toString('latin1', t2 + 1, t3), t);
      const tail = this.tail(d);
      this.counts.set(d, (this.counts.get(d) ?? 0) + 1);
      // the row's bytes: the list's prefix, `seq TAB id TAB` (t2 + 1 - line bytes), the decision
      const size = this.prefix.length + (t2 + 1 - line) + tail.length;
      if (this.pos + size > this.buf.length) {
        this.flush();
        if (size > this.buf.length) this.buf = Buffer.allocUnsafe(size); // one row bigger than a piece
      }
      this.pos += this.prefix.copy(this.buf, this.pos);
      this.pos += data.copy(this.buf, this.pos, line, t2 + 1); // seq TAB id TAB
      this.pos += tail.copy(this.buf, this.pos);
      line = nl + 1;
    }
    this.carry = line < data.length ? Buffer.from(data.subarray(line)) : null;
  }

  /** Emits the last piece. */
  end(): void {
    if (this.carry) throw new Error('route chunk: the COPY output ended inside a row');
    this.flush();
  }

  /** Decisions per member, state and reason, as route_chunks.figures keeps them (0014). */
  figures(): { member_id: string; state: string; reason: string; n: number }[] {
    return [...this.counts].map(([d, n]) =>
      d.state === 'delivered'
        ? { member_id: d.memberId, state: d.state, reason: '', n }
        : { member_id: '', state: d.state, reason: d.reason, n },
    );
  }

  private tail(d: RouteDecision): Buffer {
    let b = this.tails.get(d);
    if (!b) {
      b = Buffer.from(d.state === 'delivered' ? `${d.memberId}\tdelivered\t\\N\n` : `\\N\treturned\t${d.reason}\n`);
      this.tails.set(d, b);
    }
    return b;
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.emit(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(this.outSize); // the piece now belongs to the stream
    this.pos = 0;
  }
}
