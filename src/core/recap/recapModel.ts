/**
 * The recap of one task: what it cost (tokens by kind, by model, dollars over time) and what it
 * delivered (criteria, outcome, commits and lines), plus the history of all tasks. Pure: the host
 * gathers the inputs (task, numbers, records, activity, git) and the page only renders the result.
 *
 * Totals come from the task's numbers (frozen at finish), so the recap and the status bar never
 * disagree; the records give what numbers cannot (the timeline, the most expensive requests).
 */
import { sessionKey, type LedgerRecord, type Totals } from '../ledger/ledger';
import type { ActivityEvent, AgentId } from '../sources/types';
import { inWindows } from '../tasks/attribution';
import { taskWindows, type Flag, type Task, type TaskNumbers } from '../tasks/task';
import type { GitOutcome, HistoryModel, HistoryRow, RecapModel, TokensByKind } from './recapTypes';

/** 10: the head of the cost distribution; one screen, and in practice most of a task's spend. */
export const TOP_REQUESTS = 10;
/**
 * 400 points: one per 2-3 pixels across a wide panel. A long task has thousands of requests; more
 * points than pixels only slow the SVG down.
 */
export const MAX_TIMELINE_POINTS = 400;
/** 300 marks: user turns and flags beyond this are thinned (the chart would be a solid bar). */
export const MAX_TIMELINE_MARKS = 300;
/** 2,000 characters per evidence item: enough for a tool call and its arguments, bounded for the page. */
const MAX_EVIDENCE_CHARS = 2000;

export interface RecapInput {
  task: Task;
  /** `currentNumbers(task, …)`: frozen numbers for a finished task. */
  numbers: TaskNumbers;
  /** The records the task owns (`taskRecords(…)` flattened); any order. */
  records: readonly LedgerRecord[];
  /** Activity of the task's sessions; events outside the task's windows are ignored. */
  activity: readonly ActivityEvent[];
  /** The task's flags (defaults to `task.flags`). */
  flags?: readonly Flag[];
  git: GitOutcome;
  /** Epoch ms "now": the end of an open task's wall time and timeline. */
  now: number;
  /** The log file a record came from, for "open the session's log". */
  logFileOf?: (fileId: number) => string | undefined;
}

/** Builds the recap of one task. */
export function recapModel(input: RecapInput): RecapModel {
  const { task, numbers, git, now } = input;
  const windows = taskWindows(task);
  const records = [...input.records].sort((a, b) => a.timestamp - b.timestamp);
  const activity = input.activity.filter((e) => inWindows(e.timestamp, windows));
  const end = task.endedAt ?? Math.max(now, task.createdAt);
  const costUSD = numbers.costUSD;

  const commits = git.state === 'ok' ? git.commits.length : 0;
  const linesAdded = git.state === 'ok' ? git.linesAdded : 0;
  const linesDeleted = git.state === 'ok' ? git.linesDeleted : 0;
  const linesChanged = linesAdded + linesDeleted;

  const tools = new Map<string, { name: string; calls: number; errors: number }>();
  const tool = (name: string) => {
    let t = tools.get(name);
    if (!t) tools.set(name, (t = { name, calls: 0, errors: 0 }));
    return t;
  };
  let toolCalls = 0;
  let toolErrors = 0;
  let userTurns = 0;
  for (const e of activity) {
    if (e.kind === 'toolCall') {
      tool(e.name).calls++;
      toolCalls++;
    } else if (e.kind === 'toolError') {
      tool(e.name).errors++;
      toolErrors++;
    } else if (e.kind === 'userTurn') userTurns++;
  }

  const flags = [...(input.flags ?? task.flags)].sort((a, b) => a.at - b.at);
  const marks: RecapModel['timeline']['marks'] = [
    ...activity.filter((e) => e.kind === 'userTurn').map((e) => ({ at: e.timestamp, kind: 'userTurn' as const, label: 'User turn' })),
    ...flags.map((f) => ({ at: f.at, kind: 'flag' as const, label: `${f.rule}: ${f.message}`, severity: f.severity })),
  ].sort((a, b) => a.at - b.at);

  return {
    taskId: task.id,
    goal: task.goal,
    status: task.status,
    ...(task.outcome ? { outcome: task.outcome } : {}),
    criteria: task.criteria.map((c) => ({ text: c.text, done: c.done })),
    budget: { ...task.budget },
    startedAt: task.createdAt,
    ...(task.endedAt !== undefined ? { endedAt: task.endedAt } : {}),
    generatedAt: now,
    wallMs: Math.max(0, end - task.createdAt),
    activeMs: numbers.activeMs,
    costUSD,
    unpricedModels: [...numbers.unpricedModels],
    requests: numbers.requests,
    tokens: tokensOf(numbers),
    cacheHitRate: cacheHitRate(numbers),
    byModel: numbers.byModel.map((m) => ({ model: m.model, costUSD: m.costUSD, priced: m.priced, ...(m.estimated ? { estimated: true } : {}), requests: m.requests, tokens: tokensOf(m) })),
    delivered: {
      git,
      commits,
      linesAdded,
      linesDeleted,
      linesChanged,
      filesTouched: git.state === 'ok' ? git.files.length : 0,
      usdPerCommit: costUSD !== null && commits > 0 ? costUSD / commits : null,
      usdPer100Lines: costUSD !== null && linesChanged > 0 ? (costUSD / linesChanged) * 100 : null,
    },
    timeline: { from: task.createdAt, to: Math.max(end, records.at(-1)?.timestamp ?? end), points: timelinePoints(task.createdAt, records), marks: thin(marks, MAX_TIMELINE_MARKS) },
    tools: [...tools.values()].sort((a, b) => b.calls + b.errors - (a.calls + a.errors) || a.name.localeCompare(b.name)),
    toolCalls,
    toolErrors,
    userTurns,
    topRequests: [...records]
      .sort((a, b) => (b.costUSD ?? -1) - (a.costUSD ?? -1) || b.totalTokens - a.totalTokens || a.timestamp - b.timestamp)
      .slice(0, TOP_REQUESTS)
      .map((r) => ({ at: r.timestamp, agent: r.agent, sessionId: r.sessionId, model: r.model, costUSD: r.costUSD, tokens: r.totalTokens })),
    sessions: sessionsOf(numbers, records, input.logFileOf),
    flags: flags.map((f) => ({ rule: f.rule, severity: f.severity, at: f.at, message: f.message, evidence: f.evidence.map(evidenceText) })),
  };
}

/** Tokens of a set of totals, by kind. */
export function tokensOf(t: Totals): TokensByKind {
  return {
    input: t.inputTokens,
    output: t.outputTokens,
    cacheWrite: t.cacheCreationTokens,
    cacheRead: t.cacheReadTokens,
    reasoning: t.reasoningOutputTokens,
    total: t.totalTokens,
  };
}

/** Cache reads over every prompt token (uncached input + cache writes + cache reads). */
export function cacheHitRate(t: Totals): number | null {
  const prompt = t.inputTokens + t.cacheCreationTokens + t.cacheReadTokens;
  return prompt > 0 ? t.cacheReadTokens / prompt : null;
}

/**
 * Cumulative dollars after each request, from 0 at the start. Unpriced requests add nothing (the
 * curve is then a lower bound, as the total says). Downsampled to MAX_TIMELINE_POINTS by keeping the
 * last point of each slice, so the curve still ends exactly at the total.
 */
export function timelinePoints(start: number, sortedRecords: readonly LedgerRecord[]): Array<{ at: number; usd: number }> {
  const points = [{ at: start, usd: 0 }];
  let sum = 0;
  for (const r of sortedRecords) {
    sum += r.costUSD ?? 0;
    points.push({ at: r.timestamp, usd: sum });
  }
  if (points.length <= MAX_TIMELINE_POINTS) return points;
  const out = [points[0]];
  const step = (points.length - 1) / (MAX_TIMELINE_POINTS - 1);
  for (let i = 1; i < MAX_TIMELINE_POINTS; i++) out.push(points[Math.min(points.length - 1, Math.round(i * step))]);
  out[out.length - 1] = points[points.length - 1];
  return out;
}

function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]);
}

function sessionsOf(numbers: TaskNumbers, records: readonly LedgerRecord[], logFileOf: RecapInput['logFileOf']): RecapModel['sessions'] {
  const models = new Map<string, Set<string>>();
  const files = new Map<string, Map<number, number>>();
  for (const r of records) {
    const key = sessionKey(r.agent, r.sessionId);
    let m = models.get(key);
    if (!m) models.set(key, (m = new Set()));
    m.add(r.model);
    let f = files.get(key);
    if (!f) files.set(key, (f = new Map()));
    f.set(r.fileId, (f.get(r.fileId) ?? 0) + 1);
  }
  return numbers.sessions.map((s) => {
    const key = sessionKey(s.agent, s.sessionId);
    // The file holding most of the session's records: the main transcript, not a subagent's.
    const fileId = [...(files.get(key) ?? new Map<number, number>())].sort((a, b) => b[1] - a[1])[0]?.[0];
    const logFile = fileId === undefined ? undefined : logFileOf?.(fileId);
    return {
      key,
      agent: s.agent,
      sessionId: s.sessionId,
      models: [...(models.get(key) ?? [])].sort(),
      costUSD: s.totals.costUSD,
      tokens: s.totals.totalTokens,
      requests: s.totals.requests,
      firstActivity: s.firstActivity,
      lastActivity: s.lastActivity,
      ...(logFile ? { logFile } : {}),
    };
  });
}

function evidenceText(item: unknown): string {
  let text: string;
  if (typeof item === 'string') text = item;
  else {
    try {
      text = JSON.stringify(item) ?? String(item);
    } catch {
      text = String(item);
    }
  }
  return text.length > MAX_EVIDENCE_CHARS ? `${text.slice(0, MAX_EVIDENCE_CHARS)}…` : text;
}

/** One task of the history with its numbers (`currentNumbers`). */
export interface HistoryEntry {
  task: Task;
  numbers: TaskNumbers;
}

/** The history of every task: one row each, spend by outcome, and cost per done task over time. */
export function historyModel(entries: readonly HistoryEntry[]): HistoryModel {
  const rows: HistoryRow[] = entries
    .map(({ task, numbers }) => ({
      taskId: task.id,
      goal: task.goal,
      status: task.status,
      ...(task.outcome ? { outcome: task.outcome } : {}),
      agents: [...new Set(numbers.sessions.map((s) => s.agent))].sort() as AgentId[],
      startedAt: task.createdAt,
      ...(task.endedAt !== undefined ? { endedAt: task.endedAt } : {}),
      costUSD: numbers.costUSD,
      unpriced: numbers.unpricedModels.length > 0,
      tokens: numbers.totalTokens,
      activeMs: numbers.activeMs,
      criteriaDone: task.criteria.filter((c) => c.done).length,
      criteriaTotal: task.criteria.length,
    }))
    .sort((a, b) => b.startedAt - a.startedAt || a.taskId.localeCompare(b.taskId));
  const bucket = () => ({ count: 0, costUSD: 0 });
  const totals = { done: bucket(), partly: bucket(), abandoned: bucket(), open: bucket(), all: bucket() };
  for (const row of rows) {
    for (const b of [row.status === 'finished' && row.outcome ? totals[row.outcome] : totals.open, totals.all]) {
      b.count++;
      b.costUSD += row.costUSD ?? 0;
    }
  }
  const done = rows.filter((r) => r.outcome === 'done').sort((a, b) => (a.endedAt ?? a.startedAt) - (b.endedAt ?? b.startedAt));
  let sum = 0;
  const costPerDone = done.map((r, i) => {
    sum += r.costUSD ?? 0;
    return { at: r.endedAt ?? r.startedAt, taskId: r.taskId, costUSD: r.costUSD ?? 0, meanUSD: sum / (i + 1) };
  });
  return { rows, totals, costPerDone };
}
