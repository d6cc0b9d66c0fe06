/**
 * A standalone scan-worker module (for tests and unbundled use); the bundled CLI is its own worker.
 */
import { workerData } from 'node:worker_threads';
import { isLineWorker, runLineWorker } from './parallelScan';

if (isLineWorker(workerData)) runLineWorker(workerData);
