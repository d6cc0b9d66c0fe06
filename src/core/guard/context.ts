import { agentDisplayName } from '../sources/agentNames';
import type { LedgerRecord } from '../ledger/ledger';
import type { ActivityEvent, AgentId } from '../sources/types';
import type { GuardInput } from './types';

export const MINUTE = 60_000;

export type ToolCallEvent = Extract<ActivityEvent, { kind: 'toolCall' }>;
export type ToolErrorEvent = Extract<ActivityEvent, { kind: 'toolError' }>;
export type ContextEvent = Extract<ActivityEvent, { kind: 'context' }>;

/** One session's share of the input, cleaned up once for every rule. */
export interface SessionView {
  readonly sessionId: string;
  readonly agent: AgentId;
  /** The session's events, tool calls and errors counted once per call id. */
  readonly events: readonly ActivityEvent[];
  /** The events after the session's last user turn (all of them when it has none). */
  readonly sinceUserTurn: readonly ActivityEvent[];
  readonly records: readonly LedgerRecord[];
}

/** What the rules share: the input split by session, and a few helpers bound to the input. */
export interface GuardContext {
  readonly input: GuardInput;
  readonly sessions: readonly SessionView[];
  /** Episode key: the scope, then the parts. */
  key(...parts: Array<string | number>): string;
  /** True when `timestamp` is too old for behaviour rules to care about. */
  stale(timestamp: number): boolean;
}

export function buildContext(input: GuardInput): GuardContext {
  const bySession = new Map<string, { agent: AgentId; events: ActivityEvent[]; records: LedgerRecord[] }>();
  const entry = (sessionId: string, agent: AgentId) => {
    let e = bySession.get(sessionId);
    if (!e) bySession.set(sessionId, (e = { agent, events: [], records: [] }));
    return e;
  };
  // A call id seen twice is one call written twice (streamed copies, subagent replays).
  const seenCalls = new Set<string>();
  for (const event of input.events) {
    if (event.timestamp > input.now) continue;
    if ((event.kind === 'toolCall' || event.kind === 'toolError') && event.callId) {
      const id = `${event.kind}\u0000${event.sessionId}\u0000${event.callId}`;
      if (seenCalls.has(id)) continue;
      seenCalls.add(id);
    }
    entry(event.sessionId, event.agent).events.push(event);
  }
  for (const record of input.records) {
    if (record.timestamp > input.now) continue;
    entry(record.sessionId, record.agent).records.push(record);
  }
  const sessions: SessionView[] = [];
  for (const [sessionId, e] of bySession) {
    let lastTurn = -1;
    e.events.forEach((event, i) => {
      if (event.kind === 'userTurn') lastTurn = i;
    });
    sessions.push({ sessionId, agent: e.agent, events: e.events, sinceUserTurn: e.events.slice(lastTurn + 1), records: e.records });
  }
  const staleBefore = input.now - input.settings.staleAfterMinutes * MINUTE;
  return {
    input,
    sessions,
    key: (...parts) => [...(input.scope ? [input.scope] : []), ...parts].join(':'),
    stale: (timestamp) => timestamp < staleBefore,
  };
}

export function agentName(agent: AgentId): string {
  return agentDisplayName(agent);
}

/** `Claude Code session 1a2b3c4d`: enough of the id to find it in a list. */
export function sessionName(session: SessionView): string {
  return `${agentName(session.agent)} session ${session.sessionId.slice(0, 8)}`;
}

/** When something happens, from now: `in less than a minute`, `in about 12 minutes`. */
export function inAbout(ms: number): string {
  const d = duration(ms);
  return d === 'less than a minute' ? `in ${d}` : `in about ${d}`;
}

/** A span of time just past: `the last minute`, `the last 10 minutes`. */
export function theLast(ms: number): string {
  const d = duration(ms);
  return d === '1 minute' ? 'the last minute' : `the last ${d}`;
}

/** `1 minute`, `45 minutes`, `2 h 10 min`. */
export function duration(ms: number): string {
  if (ms < 30_000) return 'less than a minute';
  const minutes = Math.max(0, Math.round(ms / MINUTE));
  if (minutes < 120) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** Sum of billed tokens and of priced dollars (null when nothing was priced). */
export function spend(records: readonly LedgerRecord[]): { tokens: number; usd: number | null } {
  let tokens = 0;
  let usd: number | null = null;
  for (const r of records) {
    tokens += r.totalTokens;
    if (r.costUSD !== null) usd = (usd ?? 0) + r.costUSD;
  }
  return { tokens, usd };
}

/** Records with `from < timestamp <= to`. */
export function recordsBetween(records: readonly LedgerRecord[], from: number, to: number): LedgerRecord[] {
  return records.filter((r) => r.timestamp > from && r.timestamp <= to);
}
