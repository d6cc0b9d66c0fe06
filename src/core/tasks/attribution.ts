/**
 * Which usage belongs to a task. A session belongs to a workspace when its working folder is inside
 * one of the workspace's folders; a task owns the records of those sessions whose timestamps fall
 * inside the task's active windows (start to end, minus pauses). A session that straddles a
 * boundary is split there, record by record: the agent kept running, the task did not.
 */
import path = require('node:path');
import { addRecord, emptyTotals, sessionKey, type LedgerRecord, type Totals } from '../ledger/ledger';
import type { AgentId } from '../sources/types';
import { DAY_MS, startOfDay } from '../util/day';
import { activeMs, taskWindows, type SessionShare, type Task, type TaskNumbers, type UsageNumbers } from './task';

/** The part of a session summary attribution needs (a `SessionSummary` fits). */
export interface SessionRef {
  readonly agent: AgentId;
  readonly sessionId: string;
  /** The session's working folder; a session without one is never attributed. */
  readonly cwd: string | undefined;
}

/** A session's counted records, oldest first (`Ledger.sessionRecords` fits). */
export type RecordsOf = (agent: AgentId, sessionId: string) => readonly LedgerRecord[];

export interface AttributionOptions {
  /** Decides path syntax and case sensitivity; production callers omit it. */
  platform?: NodeJS.Platform;
}

/** Local-day options for `workspaceSpendToday`. */
export interface DayOptions extends AttributionOptions {
  /**
   * Minutes east of UTC of the user's clock (e.g. 60 for CET, -300 for EST). Omitted: the process's
   * local time zone, daylight saving included. Tests pass it to stay independent of the machine.
   */
  utcOffsetMinutes?: number;
}

/**
 * A path in the form used for comparison: resolved, without trailing separators, and lower-cased
 * where the file system ignores case (Windows, and macOS's default APFS). VS Code reports
 * `c:\work` where Claude Code logs `C:\work`, so without this a Windows task would see nothing.
 */
export function normalisePath(p: string, platform: NodeJS.Platform = process.platform): string {
  const lib = platform === 'win32' ? path.win32 : path.posix;
  let out = lib.resolve(p);
  const root = lib.parse(out).root;
  while (out.length > root.length && (out.endsWith(lib.sep) || (platform === 'win32' && out.endsWith('/')))) out = out.slice(0, -1);
  return platform === 'win32' || platform === 'darwin' ? out.toLowerCase() : out;
}

/**
 * Whether `child` is `folder` or inside it. `/work/app2` is not inside `/work/app`: the comparison
 * is by path segment, not by string prefix.
 */
export function isInside(child: string, folder: string, platform: NodeJS.Platform = process.platform): boolean {
  const sep = platform === 'win32' ? '\\' : '/';
  const c = normalisePath(child, platform);
  const f = normalisePath(folder, platform);
  if (c === f) return true;
  return c.startsWith(f.endsWith(sep) ? f : f + sep);
}

/** Whether a session's working folder is inside any of the folders (multi-root workspaces). */
export function inWorkspace(cwd: string | undefined, folders: readonly string[], platform: NodeJS.Platform = process.platform): boolean {
  return cwd !== undefined && cwd !== '' && folders.some((f) => isInside(cwd, f, platform));
}

/** A key equal for equal sets of folders, whatever their order, spelling or (where ignored) case. */
export function folderSetKey(folders: readonly string[], platform: NodeJS.Platform = process.platform): string {
  return JSON.stringify([...new Set(folders.map((f) => normalisePath(f, platform)))].sort());
}

/** Whether `timestamp` falls inside one of the half-open windows. */
export function inWindows(timestamp: number, windows: ReadonlyArray<readonly [number, number]>): boolean {
  return windows.some(([from, to]) => timestamp >= from && timestamp < to);
}

/** The records the task owns, grouped by session (sessions with none are left out). */
export function taskRecords(
  task: Task,
  sessions: readonly SessionRef[],
  recordsOf: RecordsOf,
  options: AttributionOptions = {},
): Array<{ session: SessionRef; records: LedgerRecord[] }> {
  const windows = taskWindows(task);
  return selectRecords(task.workspaceFolders, sessions, recordsOf, options.platform, (t) => inWindows(t, windows));
}

/**
 * The task's numbers at `now`: tokens and dollars of the records it owns, by model and by session,
 * and the active time it has run. For a finished task the store keeps `task.final`; this recomputes
 * from the logs (see `currentNumbers`).
 */
export function taskNumbers(task: Task, sessions: readonly SessionRef[], recordsOf: RecordsOf, now: number, options: AttributionOptions = {}): TaskNumbers {
  return taskUsage(task, sessions, recordsOf, now, options).numbers;
}

/** The task's numbers and the records behind them (also grouped by session), selected once. */
export function taskUsage(
  task: Task,
  sessions: readonly SessionRef[],
  recordsOf: RecordsOf,
  now: number,
  options: AttributionOptions = {},
): { numbers: TaskNumbers; records: LedgerRecord[]; groups: Array<{ session: SessionRef; records: LedgerRecord[] }> } {
  const groups = taskRecords(task, sessions, recordsOf, options);
  return { numbers: { ...aggregate(groups), activeMs: activeMs(task, now) }, records: groups.flatMap((g) => g.records), groups };
}

/** The frozen numbers of a finished task, else the numbers computed now. */
export function currentNumbers(task: Task, sessions: readonly SessionRef[], recordsOf: RecordsOf, now: number, options: AttributionOptions = {}): TaskNumbers {
  return task.final ?? taskNumbers(task, sessions, recordsOf, now, options);
}

/**
 * What the workspace's agents spent today (local calendar day), for the status bar when no task is
 * active. `firstActivity`/`lastActivity` and each session's share cover today's records only.
 */
export function workspaceSpendToday(
  folders: readonly string[],
  sessions: readonly SessionRef[],
  recordsOf: RecordsOf,
  now: number,
  options: DayOptions = {},
): UsageNumbers & { dayStart: number } {
  const dayStart = startOfDay(now, options.utcOffsetMinutes);
  // The next midnight, found the same way, so a 23- or 25-hour daylight-saving day stays one day.
  const dayEnd = startOfDay(dayStart + DAY_MS + 2 * 3_600_000, options.utcOffsetMinutes);
  const groups = selectRecords(folders, sessions, recordsOf, options.platform, (t) => t >= dayStart && t < dayEnd);
  return { ...aggregate(groups), dayStart };
}

/** Totals, by model and by session, of grouped records. */
export function aggregate(groups: ReadonlyArray<{ session: SessionRef; records: readonly LedgerRecord[] }>): UsageNumbers {
  const totals = emptyTotals();
  const byModel = new Map<string, Totals & { model: string; priced: boolean; estimated?: boolean }>();
  const shares: SessionShare[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const { session, records } of groups) {
    const share: Totals = emptyTotals();
    let sFirst = Infinity;
    let sLast = -Infinity;
    for (const r of records) {
      addRecord(totals, r);
      addRecord(share, r);
      let m = byModel.get(r.model);
      if (!m) byModel.set(r.model, (m = { ...emptyTotals(), model: r.model, priced: true }));
      addRecord(m, r);
      // Per record, not per model: a known model's request can still be unpriced (fast mode
      // without an override), and then the dollars are a lower bound.
      if (r.costUSD === null) m.priced = false;
      if (r.estimated) m.estimated = true;
      sFirst = Math.min(sFirst, r.timestamp);
      sLast = Math.max(sLast, r.timestamp);
    }
    if (records.length === 0) continue;
    shares.push({ agent: session.agent, sessionId: session.sessionId, firstActivity: sFirst, lastActivity: sLast, totals: share });
    first = Math.min(first, sFirst);
    last = Math.max(last, sLast);
  }
  shares.sort((a, b) => a.firstActivity - b.firstActivity || a.sessionId.localeCompare(b.sessionId));
  const models = [...byModel.values()].sort((a, b) => (b.costUSD ?? 0) - (a.costUSD ?? 0) || b.totalTokens - a.totalTokens || a.model.localeCompare(b.model));
  const out: UsageNumbers = {
    ...totals,
    byModel: models,
    sessions: shares,
    unpricedModels: models.filter((m) => !m.priced).map((m) => m.model).sort(),
  };
  if (shares.length > 0) {
    out.firstActivity = first;
    out.lastActivity = last;
  }
  return out;
}

function selectRecords(
  folders: readonly string[],
  sessions: readonly SessionRef[],
  recordsOf: RecordsOf,
  platform: NodeJS.Platform | undefined,
  keep: (timestamp: number) => boolean,
): Array<{ session: SessionRef; records: LedgerRecord[] }> {
  const out: Array<{ session: SessionRef; records: LedgerRecord[] }> = [];
  const seen = new Set<string>();
  for (const session of sessions) {
    const key = sessionKey(session.agent, session.sessionId);
    if (seen.has(key) || !inWorkspace(session.cwd, folders, platform)) continue;
    seen.add(key);
    const records = recordsOf(session.agent, session.sessionId).filter((r) => keep(r.timestamp));
    if (records.length > 0) out.push({ session, records });
  }
  return out;
}
