import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from 'pg';

/**
 * Buffers COPY text lines for entries and rejects and sends them in chunks. A chunk is sent
 * while the next one is being parsed (one connection runs one COPY at a time, so a send waits
 * for the previous one): PostgreSQL's work overlaps the parsing instead of following it.
 */
export class CopyWriter {
  private entries: string[] = [];
  private rejects: string[] = [];
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly client: PoolClient, private readonly chunk: number) {}

  entry(line: string): void {
    this.entries.push(line);
  }

  reject(line: string): void {
    this.rejects.push(line);
  }

  /** Starts sending when a chunk is full; resolves once the previous send is done. */
  async maybeFlush(): Promise<void> {
    if (this.entries.length + this.rejects.length >= this.chunk) await this.flush(false);
  }

  async flush(wait = true): Promise<void> {
    const e = this.entries;
    const r = this.rejects;
    this.entries = [];
    this.rejects = [];
    await this.sending;
    this.sending = this.send(e, r);
    // a failed send must surface even if nobody awaits it again
    this.sending.catch(() => undefined);
    if (wait) await this.sending;
  }

  private async send(entries: string[], rejects: string[]): Promise<void> {
    await copy(this.client, 'COPY entries (list_id, seq, row_no, ip, observed_at, port, malware, extra) FROM STDIN', entries);
    await copy(this.client, 'COPY rejects (list_id, row_no, line_no, raw, reason, message) FROM STDIN', rejects);
  }
}

async function copy(client: PoolClient, sql: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  await pipeline(Readable.from([lines.join('')]), client.query(copyFrom(sql)));
}
