import * as fs from 'node:fs';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { AgentId, SkipReason } from '../sources/types';
import { LineShape, scanLines } from './lines';

/**
 * A cold scan split by kind of work, not by file: a worker thread does the byte work (reading
 * every append-only log and finding the lines that can hold usage, all native calls), and the
 * main thread parses only those lines, as they arrive. The parsing code runs — and warms up — on
 * one thread, so the result is the same as a sequential scan's, and the two cores overlap.
 */

/** What the worker is asked to read: whole append-only files, and the strings that select lines. */
export interface LineJob {
  readonly files: ReadonlyArray<{ readonly path: string; readonly agent: AgentId; readonly patterns: readonly string[] }>;
  readonly maxLineBytes: number;
}

/** One file's selected lines: `lines` holds them back to back; `starts[i]`/`offsets[i]` locate line i. */
export interface LineBatch {
  readonly path: string;
  readonly agent: AgentId;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /** Bytes consumed: up to the last newline (a partial last line waits, as in a sequential scan). */
  readonly consumed: number;
  readonly lines: Uint8Array;
  /** Start of each line in `lines`, plus a final entry for the end. */
  readonly starts: Float64Array;
  /** File offset of each line. */
  readonly offsets: Float64Array;
  readonly skips: ReadonlyArray<{ reason: SkipReason; offset?: number; detail?: string }>;
  readonly bytesRead: number;
}

interface WorkerData {
  readonly agentMeterLines: LineJob;
  readonly port: MessagePort;
  readonly signal: Int32Array;
}

/** Two minutes without any news from the worker: it is presumed dead. */
const STALL_MS = 120_000;

/**
 * Starts the worker; `drain(onBatch)` blocks, handing each file's lines to `onBatch` as they
 * arrive, until the worker is done. `script` must call runLineWorker when loaded as a worker.
 */
export function startLineWorker(script: string, job: LineJob): { drain(onBatch: (batch: LineBatch) => void): void } {
  const { port1, port2 } = new MessageChannel();
  // signal[0]: batches posted so far (-1 when finished); the main thread waits on it.
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const data: WorkerData = { agentMeterLines: job, port: port2, signal };
  const worker = new Worker(script, { workerData: data, transferList: [port2] });
  worker.unref();
  return {
    drain(onBatch) {
      try {
        for (;;) {
          const message = receiveMessageOnPort(port1)?.message as { batch?: LineBatch; error?: string; done?: true } | undefined;
          if (message?.batch) {
            onBatch(message.batch);
            continue;
          }
          if (message?.error !== undefined) throw new Error(`the scan worker failed: ${message.error}`);
          if (message?.done) return;
          const seen = Atomics.load(signal, 0);
          if (Atomics.wait(signal, 0, seen, STALL_MS) === 'timed-out') throw new Error('the scan worker stopped answering');
        }
      } finally {
        port1.close();
        void worker.terminate();
      }
    },
  };
}

/** Whether this thread is a line worker started by startLineWorker. */
export function isLineWorker(workerData: unknown): workerData is WorkerData {
  return typeof workerData === 'object' && workerData !== null && 'agentMeterLines' in workerData;
}

/** The worker's side: read each file, keep the lines that contain a pattern, post them per file. */
export function runLineWorker(data: WorkerData): void {
  const post = (message: unknown, transfer: ArrayBuffer[] = []) => {
    data.port.postMessage(message, transfer);
    Atomics.add(data.signal, 0, 1);
    Atomics.notify(data.signal, 0);
  };
  try {
    let buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (const file of data.agentMeterLines.files) {
      const patterns = file.patterns.map((p) => Buffer.from(p));
      const skips: Array<{ reason: SkipReason; offset?: number; detail?: string }> = [];
      let fd: number;
      try {
        fd = fs.openSync(file.path, 'r');
      } catch (error) {
        skips.push({ reason: 'unreadable-file', detail: (error as NodeJS.ErrnoException).code });
        continue;
      }
      try {
        const st = fs.fstatSync(fd);
        if (buffer.length < st.size && st.size <= data.agentMeterLines.maxLineBytes * 4) buffer = Buffer.allocUnsafe(st.size);
        const chunks: Buffer[] = [];
        const starts: number[] = [];
        const offsets: number[] = [];
        let kept = 0;
        let position = 0;
        let carry = 0;
        let bytesRead = 0;
        while (position < st.size) {
          if (buffer.length - carry === 0) {
            // One line fills the buffer: grow up to the limit (a longer line is skipped whole, as
            // the sequential scanner does, by the main thread when it re-reads that file).
            if (buffer.length >= data.agentMeterLines.maxLineBytes) throw new RangeError('line-too-long');
            const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, data.agentMeterLines.maxLineBytes));
            buffer.copy(bigger, 0, 0, carry);
            buffer = bigger;
          }
          const got = fs.readSync(fd, buffer, carry, Math.min(buffer.length - carry, st.size - position), position);
          if (got === 0) break;
          bytesRead += got;
          position += got;
          const end = carry + got;
          const base = position - end;
          const consumed = scanLines(buffer, end, patterns, (start, lineEnd, shape, matches) => {
            if (shape === LineShape.Empty) return;
            if (shape !== LineShape.Object) {
              skips.push({ reason: shape === LineShape.Binary ? 'binary' : 'malformed-json', offset: base + start });
              return;
            }
            if (matches === 0) return;
            const line = Buffer.from(buffer.subarray(start, lineEnd + 1));
            chunks.push(line);
            starts.push(kept);
            offsets.push(base + start);
            kept += line.length;
          });
          carry = end - consumed;
          if (carry > 0 && consumed > 0) buffer.copy(buffer, 0, consumed, end);
        }
        const lines = Buffer.concat(chunks, kept);
        // A fresh ArrayBuffer of exactly the lines, transferred (not copied) to the main thread.
        const owned = new Uint8Array(lines.length);
        owned.set(lines);
        starts.push(kept);
        const batch: LineBatch = {
          path: file.path,
          agent: file.agent,
          size: st.size,
          mtimeMs: st.mtimeMs,
          ino: st.ino,
          consumed: position - carry,
          lines: owned,
          starts: Float64Array.from(starts),
          offsets: Float64Array.from(offsets),
          skips,
          bytesRead,
        };
        post({ batch }, [owned.buffer, batch.starts.buffer as ArrayBuffer, batch.offsets.buffer as ArrayBuffer]);
      } catch (error) {
        // This file is left to the main thread (it reads it like any other on its next pass).
        if (!(error instanceof RangeError)) throw error;
      } finally {
        fs.closeSync(fd);
      }
    }
    post({ done: true });
  } catch (error) {
    post({ error: (error as Error).stack ?? String(error) });
  }
}
