import { getList, type ListRow, type Queryable } from '@deliveryline/shared';
import { until } from '@deliveryline/shared/testing';

/** Waits until a list leaves parsing: parsed or failed. */
export async function settled(db: Queryable, listId: number, timeoutMs = 120_000): Promise<ListRow> {
  return until(
    `list ${listId} to be parsed or failed`,
    async () => {
      const l = (await getList(db, listId))!;
      return l.state === 'parsed' || l.state === 'failed' ? l : undefined;
    },
    { timeoutMs },
  );
}
