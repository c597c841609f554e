import fs from 'node:fs';

/** Streams text to a file or stdout, respecting backpressure. */
export async function writeAll(gen: AsyncIterable<string | Buffer>, outFile?: string) {
  const out = outFile ? fs.createWriteStream(outFile) : process.stdout;
  for await (const s of gen) if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
  if (outFile) await new Promise((r) => (out as fs.WriteStream).end(r));
}
