import type { AppContext } from '@deliveryline/shared';

/** What every router job handler is given: the database, the queues, the settings and the log. */
export type RouterDeps = Pick<AppContext, 'pool' | 'queues' | 'env' | 'log'>;
