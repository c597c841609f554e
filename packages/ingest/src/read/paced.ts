import { setImmediate as nextTurn } from 'node:timers/promises';
import { InputError } from './input-error';

/** When a parse job must stop (INGEST_JOB_MAX_SECONDS), as an instant and as the setting's value. */
export interface Deadline {
  at: number;
  seconds: number;
}

export const timeLimitError = (d: Deadline) =>
  new InputError(
    'list.time_limit',
    `reading the list took longer than INGEST_JOB_MAX_SECONDS (${d.seconds} s) and was stopped; ` +
      'split the list, or raise INGEST_JOB_MAX_SECONDS if lists this large are expected',
  );

/** Throws the time-limit error once the deadline has passed. */
export function checkDeadline(d: Deadline | undefined, now = Date.now()): void {
  if (d && now > d.at) throw timeLimitError(d);
}

/**
 * Passes a reader's pieces on, checking the job's deadline at each and handing the event loop a
 * turn every `sliceMs` of work: promise chains that never wait on I/O (a buffered gzip, a cached
 * piece) would otherwise starve the timers that renew the job's lock, and the job would be taken
 * for stalled while it is running.
 */
export async function* paced<T>(src: AsyncIterable<T>, deadline?: Deadline, sliceMs = 50): AsyncGenerator<T> {
  let last = Date.now();
  for await (const v of src) {
    const now = Date.now();
    checkDeadline(deadline, now);
    if (now - last >= sliceMs) {
      await nextTurn();
      last = Date.now();
    }
    yield v;
  }
}
