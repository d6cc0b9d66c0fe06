import type { LedgerRecord } from '../../../src/core/ledger/ledger';
import type { ActivityEvent, AgentId } from '../../../src/core/sources/types';
import { DEFAULT_GUARD_SETTINGS } from '../../../src/core/guard/settings';
import type { GuardInput } from '../../../src/core/guard/types';

/** 2026-11-02 09:00 UTC; every fixture time is minutes or seconds after it. */
export const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
export const min = (m: number): number => T0 + m * 60_000;
export const sec = (s: number): number => T0 + s * 1_000;

const base = (timestamp: number, sessionId: string, agent: AgentId) => ({ agent, sessionId, timestamp });
let callCounter = 0;

export function call(timestamp: number, name: string, argsHash: string, opts: { session?: string; agent?: AgentId; callId?: string } = {}): ActivityEvent {
  return { kind: 'toolCall', ...base(timestamp, opts.session ?? 's1', opts.agent ?? 'claude-code'), name, argsHash, callId: opts.callId ?? `c${++callCounter}` };
}

export function toolError(timestamp: number, name: string, errorHash: string, opts: { session?: string; callId?: string } = {}): ActivityEvent {
  return { kind: 'toolError', ...base(timestamp, opts.session ?? 's1', 'claude-code'), name, errorHash, callId: opts.callId ?? `e${++callCounter}` };
}

export function userTurn(timestamp: number, session = 's1'): ActivityEvent {
  return { kind: 'userTurn', ...base(timestamp, session, 'claude-code') };
}

export function compaction(timestamp: number, session = 's1'): ActivityEvent {
  return { kind: 'compaction', ...base(timestamp, session, 'claude-code') };
}

export function context(timestamp: number, contextTokens: number, opts: { session?: string; agent?: AgentId; contextWindow?: number } = {}): ActivityEvent {
  return { kind: 'context', ...base(timestamp, opts.session ?? 's1', opts.agent ?? 'claude-code'), contextTokens, contextWindow: opts.contextWindow };
}

/** A billed request of `tokens` (all cache reads, as most of an agent's tokens are) costing `usd`. */
export function record(timestamp: number, tokens: number, usd: number | null = tokens * 0.3e-6, opts: { session?: string; model?: string } = {}): LedgerRecord {
  return {
    agent: 'claude-code',
    sessionId: opts.session ?? 's1',
    key: '',
    timestamp,
    model: opts.model ?? 'claude-sonnet-4-5-20250929',
    inputTokens: 0,
    outputTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: tokens,
    reasoningOutputTokens: 0,
    fileId: 1,
    totalTokens: tokens,
    costUSD: usd,
  };
}

/** Calls of one name and args, `gapS` seconds apart from `startS`. */
export function sameCalls(n: number, startS: number, name = 'Read', argsHash = 'h-cache', gapS = 10): ActivityEvent[] {
  return Array.from({ length: n }, (_, i) => call(sec(startS + i * gapS), name, argsHash));
}

/** A guard input at `now` with default settings and nothing in it unless given. */
export function guardInput(now: number, parts: Partial<GuardInput> = {}): GuardInput {
  return { now, events: [], records: [], fileChanges: [], settings: DEFAULT_GUARD_SETTINGS, ...parts };
}
