import { errorHash, stableHash } from '../../util/hash';
import type { KeyedEvent } from '../types';
import { num, obj, str } from '../../util/json';

/**
 * What OpenCode's messages and parts tell the guards (opencode `session/message-v2.ts`,
 * `session/compaction.ts`), the same for the JSON storage and the database:
 * - a user message is a turn, unless it only asks for a compaction (a `compaction` part) or only
 *   carries synthetic text (the "Continue if you have next steps" written after an automatic
 *   compaction);
 * - a `tool` part (`tool`, `callID`, `state`) is a call once its input is complete (`state.status`
 *   `running`, `completed` or `error`; `pending` is still streaming it) and a failure when the
 *   status is `error` (`state.error`);
 * - an assistant message with `summary: true` is a compaction's summary;
 * - each `step-finish` part is one model request: its tokens are the context that request filled.
 */

/** One message with the parts activity reads, from either store. */
export interface ActivityMessage {
  readonly id: string;
  readonly info: Record<string, unknown>;
  /** Its `tool` and `step-finish` parts (every part of a user message), in part-id order, with `id`. */
  readonly parts: ReadonlyArray<Record<string, unknown>>;
  /** The root session, which the ledger files usage under (and the guards read activity by). */
  readonly sessionId: string;
  /**
   * A subagent's message: its user message is the parent agent's prompt, not a person's, and its
   * context is a window of its own, so it gives neither turns nor context to the root session.
   */
  readonly child: boolean;
  /** The session's first message: where a root session announces its folder. */
  readonly first: boolean;
  readonly cwd: string | undefined;
}

/**
 * The events of one message. `unknownPartsAreTurn`: whether a user message whose parts are not
 * written yet counts as a turn (the storage, where its file is not read again) or waits (the
 * database, re-read when the parts arrive). `contextOf` turns a `tokens` object into the request's
 * context size (undefined when it is not one).
 */
export function messageActivity(m: ActivityMessage, unknownPartsAreTurn: boolean, contextOf: (tokens: unknown) => number | undefined): KeyedEvent[] {
  const created = num(obj(m.info.time)?.created);
  if (created === undefined) return [];
  const base = { agent: 'opencode', sessionId: m.sessionId, timestamp: created } as const;
  const out: KeyedEvent[] = [];
  if (m.first && !m.child && m.cwd) out.push({ key: `s:${m.sessionId}`, event: { kind: 'session', ...base, cwd: m.cwd } });
  if (m.info.role === 'user') {
    if (!m.child && isTurn(m.parts, unknownPartsAreTurn)) out.push({ key: `u:${m.id}`, event: { kind: 'userTurn', ...base } });
    return out;
  }
  if (m.info.role !== 'assistant') return out;
  // Keyed by the user message that asked for it: a failed summary retried under a new id is one compaction.
  if (m.info.summary === true) out.push({ key: `z:${str(m.info.parentID) ?? m.id}`, event: { kind: 'compaction', ...base } });
  let steps = 0;
  for (const part of m.parts) {
    if (part.type === 'tool') out.push(...toolActivity(part, m.sessionId, created));
    else if (part.type === 'step-finish') {
      steps++;
      const tokens = m.child ? undefined : contextOf(part.tokens);
      // At the message's time, as its usage records are: the guards pair a context with their model.
      if (tokens) out.push({ key: `k:${String(part.id)}`, event: { kind: 'context', ...base, contextTokens: tokens } });
    }
  }
  // The oldest versions wrote no step-finish parts: the finished message's own tokens are its one request.
  const tokens = steps === 0 && !m.child && num(obj(m.info.time)?.completed) !== undefined ? contextOf(m.info.tokens) : undefined;
  if (tokens) out.push({ key: `k:${m.id}`, event: { kind: 'context', ...base, contextTokens: tokens } });
  return out;
}

/**
 * Whether a message can still change what it emits: an assistant message until it is completed
 * with no tool still pending or running, a user message until its parts are written.
 */
export function isOpen(m: Pick<ActivityMessage, 'info' | 'parts'>): boolean {
  if (m.info.role === 'user') return m.parts.length === 0;
  if (m.info.role !== 'assistant') return false;
  if (num(obj(m.info.time)?.completed) === undefined) return true;
  return m.parts.some((p) => p.type === 'tool' && (obj(p.state)?.status === 'pending' || obj(p.state)?.status === 'running'));
}

/** A person's message: not a compaction request, and not only synthetic text. */
function isTurn(parts: ReadonlyArray<Record<string, unknown>>, unknownPartsAreTurn: boolean): boolean {
  if (parts.length === 0) return unknownPartsAreTurn;
  if (parts.some((p) => p.type === 'compaction')) return false;
  return parts.some((p) => !(p.type === 'text' && p.synthetic === true));
}

/**
 * A `tool` part's call and failure, at the tool's own start and end times. Keyed by part id, not
 * `callID`: a forked session copies parts under new ids with the same `callID`.
 */
function toolActivity(part: Record<string, unknown>, sessionId: string, created: number): KeyedEvent[] {
  const state = obj(part.state);
  const name = str(part.tool);
  const status = state?.status;
  if (!state || !name || (status !== 'running' && status !== 'completed' && status !== 'error')) return [];
  const callId = str(part.callID) ?? String(part.id);
  const time = obj(state.time);
  const start = num(time?.start) ?? created;
  const out: KeyedEvent[] = [{ key: `c:${String(part.id)}`, event: { kind: 'toolCall', agent: 'opencode', sessionId, timestamp: start, name, argsHash: stableHash(state.input ?? {}), callId } }];
  if (status === 'error') {
    const text = typeof state.error === 'string' ? state.error : JSON.stringify(state.error ?? '');
    out.push({ key: `e:${String(part.id)}`, event: { kind: 'toolError', agent: 'opencode', sessionId, timestamp: num(time?.end) ?? start, name, errorHash: errorHash(text), callId } });
  }
  return out;
}
