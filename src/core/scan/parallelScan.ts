import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { AgentSource, SourceEnv } from '../sources/source';
import type { AgentId, Skip, UsageRecord } from '../sources/types';
import { Scanner, newStats, type FileState, type RecordSink } from './scanner';

/** What a worker thread is asked to read: whole files it has never seen. */
export interface WorkerJob {
  readonly files: ReadonlyArray<{ readonly path: string; readonly agent: AgentId }>;
  readonly env: SourceEnv;
  readonly maxLineBytes?: number;
}

export interface WorkerFile {
  readonly state: Omit<FileState, 'id'>;
  readonly records: UsageRecord[];
}

export interface WorkerResult {
  readonly files: WorkerFile[];
  readonly bytesRead: number;
  readonly records: number;
  readonly skips: Skip[];
}

interface WorkerData {
  readonly agentMeterScan: WorkerJob;
  readonly port: MessagePort;
  readonly done: Int32Array;
}

/** Two minutes: far above a gigabyte's read (a few seconds); past it the worker is presumed dead. */
const WORKER_TIMEOUT_MS = 120_000;

/**
 * Starts a worker thread reading `job.files`; `wait()` blocks until it is done (the engine stays
 * synchronous: the main thread reads its own share meanwhile, then collects the worker's).
 * `script` is a module that calls `runScanWorker()` when loaded as a worker.
 */
export function startScanWorker(script: string, job: WorkerJob): { wait(): WorkerResult } {
  const { port1, port2 } = new MessageChannel();
  const done = new Int32Array(new SharedArrayBuffer(4));
  const data: WorkerData = { agentMeterScan: job, port: port2, done };
  const worker = new Worker(script, { workerData: data, transferList: [port2] });
  worker.unref();
  return {
    wait(): WorkerResult {
      const outcome = Atomics.wait(done, 0, 0, WORKER_TIMEOUT_MS);
      const message = receiveMessageOnPort(port1)?.message as { result?: WorkerResult; error?: string } | undefined;
      port1.close();
      void worker.terminate();
      if (outcome === 'timed-out' || !message) throw new Error('the scan worker did not finish');
      if (message.error !== undefined) throw new Error(`the scan worker failed: ${message.error}`);
      return message.result!;
    },
  };
}

/** Whether this thread is a scan worker started by startScanWorker. */
export function isScanWorker(workerData: unknown): workerData is WorkerData {
  return typeof workerData === 'object' && workerData !== null && 'agentMeterScan' in workerData;
}

/** The worker's side: reads the files with the same scanner code, collecting records per file. */
export function runScanWorker(data: WorkerData, sources: readonly AgentSource[]): void {
  let reply: { result?: WorkerResult; error?: string };
  try {
    const byFile = new Map<number, UsageRecord[]>();
    const sink: RecordSink = {
      add(record, fileId) {
        let list = byFile.get(fileId);
        if (!list) byFile.set(fileId, (list = []));
        list.push(record);
      },
      removeFile(fileId) {
        byFile.delete(fileId);
      },
      setSessionCwd() {},
    };
    const job = data.agentMeterScan;
    const scanner = new Scanner({ sources, env: job.env, ledger: sink, maxLineBytes: job.maxLineBytes, maxSkipDetails: 200 });
    const stats = newStats();
    const bySource = new Map(sources.map((s) => [s.agent, s]));
    const found = job.files.map((f) => ({ source: bySource.get(f.agent)!, file: f.path }));
    const scan = scanner.scanAll(found);
    stats.bytesRead = scan.bytesRead;
    const files = scanner.fileStates().map(({ id, ...state }) => ({ state, records: byFile.get(id) ?? [] }));
    reply = { result: { files, bytesRead: scan.bytesRead, records: scan.records, skips: scan.skips } };
  } catch (error) {
    reply = { error: (error as Error).stack ?? String(error) };
  }
  data.port.postMessage(reply);
  Atomics.store(data.done, 0, 1);
  Atomics.notify(data.done, 0);
}
