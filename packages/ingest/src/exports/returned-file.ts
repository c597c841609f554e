import type { Queryable } from '@deliveryline/shared';
import { csvLine, getList, returnedRowReasons } from '@deliveryline/shared';
import { openRecords } from '../read/records';

/**
 * The entries no member took, in the source file's own column layout plus `return_reason`:
 * the original file is read again — through the same container, encoding and CSV reading as
 * when it was parsed, so row numbers match — and each returned entry's row is written as it came.
 */
export async function* returnedRows(db: Queryable, listId: number): AsyncGenerator<string> {
  const list = await getList(db, listId);
  if (!list) throw new Error(`list ${listId} does not exist`);
  const reasons = await returnedRowReasons(db, listId);
  const parsedHeader = list.columns;
  const src = await openRecords(db, list.file_sha256, {
    encoding: list.encoding,
    // the file was accepted once: its bounds were checked then
    maxBytes: Number.MAX_SAFE_INTEGER,
    isHeader: parsedHeader ? (f) => f.length === parsedHeader.length && f.every((x, i) => x.trim() === parsedHeader[i]) : undefined,
  });
  // a download the client stops half-way ends here too: the file's reading gives back its connection
  try {
    yield csvLine([...src.header, 'return_reason']);
    let buf = '';
    for await (const batch of src.batches) {
      for (const rec of batch) {
        const reason = reasons.get(rec.row);
        if (reason === undefined) continue;
        buf += csvLine([...rec.fields, reason]);
      }
      if (buf.length > 1 << 16) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  } finally {
    src.close();
  }
}
