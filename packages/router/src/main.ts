import { openContext, runWorkerProcess } from '@deliveryline/shared';
import { startRouterWorker } from './worker';

void runWorkerProcess('router', openContext, (ctx) => startRouterWorker(ctx));
