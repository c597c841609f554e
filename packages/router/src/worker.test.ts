import { JOB_NAMES, JOBS, type AppContext } from '@deliveryline/shared';
import { routerHandlers, ROUTER_QUEUES } from './worker';
import type { Mailer } from './delivery/mailer';

describe('router worker wiring', () => {
  it('has exactly one handler for every job of the route, deliver and remind queues, and none for others', () => {
    const mailer: Mailer = { send: async () => ({ messageId: '', response: '' }), close: () => undefined };
    const handlers = routerHandlers({} as AppContext, { mailer });
    const expected = JOB_NAMES.filter((n) => ROUTER_QUEUES.includes(JOBS[n].queue)).sort();
    expect(Object.keys(handlers).sort()).toEqual(expected);
    expect(expected).toEqual(
      expect.arrayContaining(['router.notify-batch', 'router.notify-webhook', 'router.remind', 'router.remind-batch']),
    );
  });
});
