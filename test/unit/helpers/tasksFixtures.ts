import { emptyTotals, type LedgerRecord } from '../../../src/core/ledger/ledger';
import type { AgentId } from '../../../src/core/sources/types';
import type { RecordsOf, SessionRef } from '../../../src/core/tasks/attribution';
import type { TaskInput, TaskNumbers } from '../../../src/core/tasks/task';

/** Task numbers with nothing counted, and the given fields set. */
export function numbers(over: Partial<TaskNumbers> = {}): TaskNumbers {
  return { ...emptyTotals(), byModel: [], sessions: [], unpricedModels: [], activeMs: 0, ...over };
}

/** 2026-01-05 09:00:00 UTC, a Monday. */
export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
export const MIN = 60_000;

/** A priced-or-not ledger record with only input tokens (so totals are easy to add by hand). */
export function rec(
  sessionId: string,
  timestamp: number,
  tokens: number,
  o: { cost?: number | null; model?: string; agent?: AgentId; output?: number } = {},
): LedgerRecord {
  const output = o.output ?? 0;
  return {
    agent: o.agent ?? 'claude-code',
    sessionId,
    key: `${sessionId}:${timestamp}`,
    timestamp,
    model: o.model ?? 'claude-sonnet-4-5',
    inputTokens: tokens,
    outputTokens: output,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reasoningOutputTokens: 0,
    fileId: 1,
    costUSD: o.cost === undefined ? null : o.cost,
    totalTokens: tokens + output,
  };
}

/** Sessions with a cwd each, and a `recordsOf` over their records. */
export function world(sessions: Array<{ id: string; cwd: string | undefined; agent?: AgentId; records: LedgerRecord[] }>): {
  sessions: SessionRef[];
  recordsOf: RecordsOf;
} {
  return {
    sessions: sessions.map((s) => ({ agent: s.agent ?? 'claude-code', sessionId: s.id, cwd: s.cwd })),
    recordsOf: (agent, sessionId) => sessions.find((s) => (s.agent ?? 'claude-code') === agent && s.id === sessionId)?.records ?? [],
  };
}

export function input(over: Partial<TaskInput> = {}): TaskInput {
  return { workspaceFolders: ['/work/app'], goal: 'Add CSV export', criteria: ['Export button works', 'Tests pass'], budget: { usd: 5 }, ...over };
}
