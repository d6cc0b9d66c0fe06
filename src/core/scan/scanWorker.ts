/**
 * A standalone scan-worker module (for tests and unbundled use); the bundled CLI is its own worker.
 */
import { workerData } from 'node:worker_threads';
import { ALL_SOURCES } from '../engine';
import { isScanWorker, runScanWorker } from './parallelScan';

if (isScanWorker(workerData)) runScanWorker(workerData, ALL_SOURCES);
