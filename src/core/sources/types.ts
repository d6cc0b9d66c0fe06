import type { Provider } from '../pricing/pricer';

/**
 * The normalised records every agent source produces. Everything downstream (ledger, guard, tasks,
 * recap) speaks only these types, so a new agent needs nothing but a folder under `sources/`.
 */

export type AgentId = 'claude-code' | 'codex' | 'gemini-cli' | 'cline' | 'roo-code' | 'kilo-code' | 'opencode' | 'copilot-chat';

/** A tuple, so schemas can use it directly: `z.enum(AGENT_IDS)`. */
export const AGENT_IDS = ['claude-code', 'codex', 'gemini-cli', 'cline', 'roo-code', 'kilo-code', 'opencode', 'copilot-chat'] as const satisfies readonly AgentId[];

/** One billed model request, in tokens, as the provider reported it. */
export interface UsageRecord {
  readonly agent: AgentId;
  readonly sessionId: string;
  /**
   * Identity of the billed request across all files of this agent, used to count it once:
   * Claude Code `message.id:requestId`, Codex the token_count event's timestamp and cumulative
   * totals (a forked rollout replays its parent's events verbatim). Empty when the log gives none,
   * in which case the record is always counted.
   */
  readonly key: string;
  /** Epoch milliseconds of the record. */
  readonly timestamp: number;
  readonly model: string;
  /** Input tokens that were neither written to nor read from the cache. */
  readonly inputTokens: number;
  /** Output tokens, reasoning included. */
  readonly outputTokens: number;
  readonly cacheWrite5mTokens: number;
  readonly cacheWrite1hTokens: number;
  readonly cacheReadTokens: number;
  /** Reasoning tokens, already inside `outputTokens` (informational). */
  readonly reasoningOutputTokens: number;
  /** Anthropic `usage.speed` ("fast" is billed differently on some models). */
  readonly speed?: string;
  /**
   * Whose prices apply, when the source knows it per record (Cline-family tasks use many
   * providers); otherwise the agent's provider. Persisted with the record, so a re-price after a
   * price change uses it too.
   */
  readonly provider?: Provider;
  /**
   * The counts were estimated (tokenized from logged text), not reported by the provider: shown
   * as "estimated" wherever they appear.
   */
  readonly estimated?: boolean;
}

/** What an agent did besides spending tokens: the raw material of guards and recaps. */
export type ActivityEvent =
  | { readonly kind: 'session'; readonly agent: AgentId; readonly sessionId: string; readonly timestamp: number; readonly cwd: string }
  | { readonly kind: 'userTurn'; readonly agent: AgentId; readonly sessionId: string; readonly timestamp: number }
  | {
      readonly kind: 'toolCall';
      readonly agent: AgentId;
      readonly sessionId: string;
      readonly timestamp: number;
      readonly name: string;
      /** Stable hash of the normalised arguments: equal calls hash equal. */
      readonly argsHash: string;
      readonly callId: string;
    }
  | {
      readonly kind: 'toolError';
      readonly agent: AgentId;
      readonly sessionId: string;
      readonly timestamp: number;
      readonly name: string;
      /** Stable hash of the normalised error text. */
      readonly errorHash: string;
      readonly callId: string;
    }
  | { readonly kind: 'compaction'; readonly agent: AgentId; readonly sessionId: string; readonly timestamp: number }
  | {
      readonly kind: 'context';
      readonly agent: AgentId;
      readonly sessionId: string;
      readonly timestamp: number;
      /** Tokens in the model's context for the latest request. */
      readonly contextTokens: number;
      /** The model's window when the log states it. */
      readonly contextWindow?: number;
    };

/**
 * An event and the identity that emits it once, however often its file is re-read: sources that
 * re-read whole documents (Copilot Chat, OpenCode) remember the keys they emitted.
 */
export interface KeyedEvent {
  readonly key: string;
  readonly event: ActivityEvent;
}

/** Why a line or file was skipped; counted and reported, never fatal. */
export type SkipReason =
  | 'malformed-json'
  | 'not-an-object'
  | 'bad-usage'
  | 'line-too-long'
  | 'binary'
  | 'unreadable-file'
  | 'unreadable-folder'
  | 'file-vanished'
  | 'file-truncated';

export interface Skip {
  readonly reason: SkipReason;
  readonly file: string;
  /** Byte offset of the line in the file, when the skip is a line. */
  readonly offset?: number;
  readonly detail?: string;
}

/** Receives what a parser finds; the scanner wires it to the ledger and the host. */
export interface ParseSink {
  usage(record: UsageRecord): void;
  activity?(event: ActivityEvent): void;
  skip(skip: Skip): void;
}
