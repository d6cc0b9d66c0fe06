import type { LedgerRecord } from '../ledger/ledger';
import type { ActivityEvent } from '../sources/types';

/** The seven guard rules, in the order `evaluate` runs them. */
export type RuleName =
  | 'repeatedToolCycle'
  | 'errorLoop'
  | 'burnWithoutProgress'
  | 'idleTask'
  | 'budgetProjection'
  | 'velocitySpike'
  | 'contextRunaway';

export const RULE_NAMES: readonly RuleName[] = [
  'repeatedToolCycle',
  'errorLoop',
  'burnWithoutProgress',
  'idleTask',
  'budgetProjection',
  'velocitySpike',
  'contextRunaway',
];

export type Severity = 'warning' | 'error';

/** What proves a verdict: the activity events and usage records it was drawn from. */
export interface Evidence {
  readonly events: readonly ActivityEvent[];
  readonly records: readonly LedgerRecord[];
}

/** One rule firing on one pattern, at the moment `GuardInput.now`. */
export interface Verdict {
  readonly rule: RuleName;
  readonly severity: Severity;
  /**
   * Identity of the pattern, stable while the pattern goes on (rule + session + the cycle's
   * signature, the error's hash, the quiet period's start...). The `EpisodeTracker` tells a
   * continuing episode from a new one by this key alone.
   */
  readonly episodeKey: string;
  /** One plain sentence a developer understands, with the numbers that matter. */
  readonly message: string;
  /** The session the pattern belongs to, when it belongs to one. */
  readonly sessionId?: string;
  readonly evidence: Evidence;
}

/** A task's budget; any limit may be absent. */
export interface TaskBudget {
  readonly usd?: number;
  readonly tokens?: number;
  readonly minutes?: number;
}

/** The open task the input belongs to. */
export interface GuardTask {
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly budget: TaskBudget;
  /** Done criteria not yet met. */
  readonly openCriteria: number;
  /** Spent so far on the whole task (the ledger's totals, not only `records`). */
  readonly spentUSD: number;
  readonly spentTokens: number;
}

/** Everything the rules look at. Pure data: the same input always gives the same verdicts. */
export interface GuardInput {
  /** The injected clock, epoch milliseconds. */
  readonly now: number;
  /** One task's sessions (or one session), in time order. */
  readonly events: readonly ActivityEvent[];
  /** The task's usage, in time order. */
  readonly records: readonly LedgerRecord[];
  /** Timestamps of workspace file create/change/delete events the editor saw. */
  readonly fileChanges: readonly number[];
  readonly task?: GuardTask;
  readonly settings: GuardSettings;
  /** Prefixed to every episode key (e.g. the task id) so one tracker can serve several tasks. */
  readonly scope?: string;
}

/** Thresholds of every rule; `DEFAULT_GUARD_SETTINGS` says where each default comes from. */
export interface GuardSettings {
  /** Rules not listed here are skipped. */
  readonly enabled: readonly RuleName[];
  /**
   * Behaviour rules (cycle, error loop, velocity, context) ignore a session whose latest piece of
   * evidence is older than this: a stopped agent is the idle rule's business.
   */
  readonly staleAfterMinutes: number;

  /** Repetitions of one cycle that make a loop. */
  readonly cycleRepeats: number;
  /** Longest cycle looked for (1 = AAAA, 2 = ABAB ...). */
  readonly maxCycleLength: number;
  /** Tools whose identical repeated calls are how an agent waits: a cycle made only of them is not a loop. */
  readonly pollingTools: readonly string[];

  /** Same tool error (tool name + error hash) this many times ... */
  readonly errorRepeats: number;
  /** ... within this many minutes. */
  readonly errorWindowMinutes: number;

  /** No file change and no user turn for at least this many minutes ... */
  readonly burnMinutes: number;
  /** ... while at least this many tokens ... */
  readonly burnTokens: number;
  /** ... or this many dollars were spent in those last `burnMinutes`. */
  readonly burnUSD: number;

  /** An open task whose agents wrote nothing for this many minutes is idle. */
  readonly idleMinutes: number;

  /** Warn when a budget runs out in fewer than this many minutes at the current rate. */
  readonly projectionHorizonMinutes: number;
  /** The current rate is measured over this many trailing minutes. */
  readonly rateWindowMinutes: number;

  /** A minute is a spike above this multiple of the session's median active minute ... */
  readonly spikeFactor: number;
  /** ... once the session has this many active minutes of history ... */
  readonly spikeHistoryMinutes: number;
  /** ... and only when the minute reaches this many tokens. */
  readonly spikeMinTokensPerMinute: number;

  /** Context at or above this fraction of the model's window is close to full. */
  readonly contextFraction: number;
  /** Model id (exact) → context window, for logs that do not state it. */
  readonly contextWindows: Readonly<Record<string, number>>;
  /** This many compactions ... */
  readonly compactionRepeats: number;
  /** ... within this many minutes. */
  readonly compactionWindowMinutes: number;
}
