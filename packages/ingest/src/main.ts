import { openContext } from '@deliveryline/shared';
import { startIngestWorker } from './worker';
import { runWorkerProcess } from '@deliveryline/shared';

void runWorkerProcess('ingest', openContext, startIngestWorker);
