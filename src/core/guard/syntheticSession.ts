import type { LedgerRecord } from '../ledger/ledger';
import type { ActivityEvent, AgentId } from '../sources/types';
import { stableHash } from '../util/hash';

/** Sonnet 4.5 list prices, dollars per million tokens: synthetic sessions need plausible money, not the price table. */
const RATE = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };

export interface SyntheticOptions {
  readonly sessionId: string;
  readonly start: number;
  /** Seeds the jitter, so a session is the same on every run. */
  readonly seed: number;
  readonly agent?: AgentId;
  readonly model?: string;
  /** Tokens in context at the start (system prompt, tools, CLAUDE.md). */
  readonly context?: number;
  /** Stated in every context event, as Codex logs do; Claude Code logs never state it. */
  readonly contextWindow?: number;
  /** Prefix of call ids, for several builders writing one session (subagents). */
  readonly callPrefix?: string;
}

export interface SyntheticCall {
  readonly name: string;
  readonly args: unknown;
  /** The tool fails with this text. */
  readonly error?: string;
  /** The call writes a workspace file, which the editor sees a second later. */
  readonly writes?: boolean;
  /** Tokens the tool result adds to the context (default 400-1,600). */
  readonly resultTokens?: number;
}

/**
 * Writes the events, usage records and file changes of one plausible agent session, step by step,
 * the way Claude Code and Codex logs read after normalisation: each model request is billed with
 * the whole context read from cache, adds its tool result to the context, and takes 6-14 s.
 */
export class SyntheticSession {
  readonly events: ActivityEvent[] = [];
  readonly records: LedgerRecord[] = [];
  readonly fileChanges: number[] = [];
  now: number;
  context: number;
  private readonly random: () => number;
  private calls = 0;

  constructor(readonly options: SyntheticOptions) {
    this.now = options.start;
    this.context = options.context ?? 24_000;
    this.random = mulberry32(options.seed);
    this.emit({ kind: 'session', cwd: '/work/project' });
  }

  private get agent(): AgentId {
    return this.options.agent ?? 'claude-code';
  }

  /** A number in [lo, hi), from the session's seeded generator. */
  jitter(lo: number, hi: number): number {
    return lo + Math.floor(this.random() * (hi - lo));
  }

  wait(ms: number): this {
    this.now += ms;
    return this;
  }

  /** The developer writes to the agent, then reads its answer for a while. */
  user(thinkMs = this.jitter(20_000, 90_000)): this {
    this.now += thinkMs;
    this.emit({ kind: 'userTurn' });
    this.now += 2_000;
    return this;
  }

  /** One model request that makes one tool call (or none), then the next request `gapMs` later. */
  step(call?: SyntheticCall, gapMs = this.jitter(6_000, 14_000)): this {
    const output = this.jitter(80, 700);
    const fresh = this.jitter(300, 2_500);
    this.bill(fresh, output);
    if (call) {
      const callId = `${this.options.callPrefix ?? this.options.sessionId.slice(0, 6)}-call-${++this.calls}`;
      this.emit({ kind: 'toolCall', name: call.name, argsHash: stableHash(call.args), callId });
      if (call.error !== undefined) this.emit({ kind: 'toolError', name: call.name, errorHash: stableHash(call.error), callId }, 2_000);
      if (call.writes) this.fileChanges.push(this.now + 1_000);
      this.context += call.resultTokens ?? this.jitter(400, 1_600);
    }
    this.context += output;
    this.now += gapMs;
    return this;
  }

  /** The agent runs out of room and summarises: one big request, then a short context. */
  compact(after = 35_000): this {
    this.bill(this.context, 4_000, true);
    this.emit({ kind: 'compaction' });
    this.context = after;
    this.now += 30_000;
    return this;
  }

  private bill(fresh: number, output: number, summarise = false): void {
    const cacheRead = summarise ? 0 : this.context;
    const cacheWrite = fresh;
    const input = this.jitter(3, 40);
    const record: LedgerRecord = {
      agent: this.agent,
      sessionId: this.options.sessionId,
      key: `${this.options.callPrefix ?? this.options.sessionId}:${this.records.length}`,
      timestamp: this.now,
      model: this.options.model ?? 'claude-sonnet-4-5-20250929',
      inputTokens: input,
      outputTokens: output,
      cacheWrite5mTokens: cacheWrite,
      cacheWrite1hTokens: 0,
      cacheReadTokens: cacheRead,
      reasoningOutputTokens: 0,
      fileId: 1,
      totalTokens: input + output + cacheWrite + cacheRead,
      costUSD: (input * RATE.input + output * RATE.output + cacheWrite * RATE.cacheWrite + cacheRead * RATE.cacheRead) / 1e6,
    };
    this.records.push(record);
    if (!summarise) this.emit({ kind: 'context', contextTokens: input + cacheWrite + cacheRead + output, contextWindow: this.options.contextWindow });
  }

  private emit(event: DistributiveOmit<ActivityEvent, 'agent' | 'sessionId' | 'timestamp'>, delayMs = 0): void {
    this.events.push({ ...event, agent: this.agent, sessionId: this.options.sessionId, timestamp: this.now + delayMs } as ActivityEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A small, fast, seedable generator (public domain, Tommy Ettinger): the same seed, the same session. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
