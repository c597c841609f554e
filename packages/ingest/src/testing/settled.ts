import { getList, type ListRow, type Queryable } from '@deliveryline/shared';

/** Waits (polling, with a deadline) until a list leaves parsing: parsed or failed. */
export async function settled(db: Queryable, listId: number, timeoutMs = 120_000): Promise<ListRow> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const l = (await getList(db, listId))!;
    if (l.state === 'parsed' || l.state === 'failed') return l;
    if (Date.now() > end) throw new Error(`list ${listId} still ${l.state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
