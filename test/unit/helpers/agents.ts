import * as path from 'node:path';
import { Engine } from '../../../src/core/engine';
import { createPricer } from '../../../src/core/pricing/pricer';
import type { ActivityEvent, AgentId } from '../../../src/core/sources/types';
import type { Scratch } from './fixtures';

/** An engine over a scratch home for the Gemini CLI and Cline-family sources (HOME = `<scratch>/home`). */
export function agentsEngine(scratch: Scratch, options: { agents?: AgentId[]; activity?: ActivityEvent[]; vars?: Record<string, string>; state?: boolean } = {}): Engine {
  return new Engine({
    env: { home: path.join(scratch.dir, 'home'), vars: { CLAUDE_CONFIG_DIR: scratch.claude, CODEX_HOME: scratch.codex, ...options.vars } },
    pricer: createPricer(),
    agents: options.agents,
    stateDir: options.state ? scratch.state : undefined,
    wantActivity: options.activity ? () => true : undefined,
    onActivity: options.activity ? (e) => options.activity!.push(e) : undefined,
  });
}

export interface GeminiTokens {
  input: number;
  output: number;
  cached?: number;
  thoughts?: number;
  tool?: number;
}

/** One `gemini` message as gemini-cli's ChatRecordingService records it. */
export function geminiMessage(o: { id: string; ts: string; tokens?: GeminiTokens; model?: string; toolCalls?: unknown[] }): Record<string, unknown> {
  const t = o.tokens;
  return {
    id: o.id,
    timestamp: o.ts,
    type: 'gemini',
    content: 'ok',
    thoughts: [],
    ...(t
      ? { tokens: { input: t.input, output: t.output, cached: t.cached ?? 0, thoughts: t.thoughts ?? 0, tool: t.tool ?? 0, total: t.input + t.output + (t.thoughts ?? 0) + (t.tool ?? 0) } }
      : {}),
    model: o.model ?? 'gemini-2.5-pro',
    ...(o.toolCalls ? { toolCalls: o.toolCalls } : {}),
  };
}

export function geminiUser(id: string, ts: string): Record<string, unknown> {
  return { id, timestamp: ts, type: 'user', content: [{ text: 'do it' }] };
}

/** A legacy single-document `session-*.json`. */
export function geminiDocument(sessionId: string, messages: unknown[], projectHash = 'a'.repeat(64)): string {
  return JSON.stringify({ sessionId, projectHash, startTime: '2026-06-05T04:59:39.932Z', lastUpdated: '2026-06-05T05:00:00.000Z', messages, kind: 'main' }, null, 2);
}

/** The append-only `.jsonl`: metadata line, then each record on its own line. */
export function geminiLog(sessionId: string, records: unknown[], projectHash = 'a'.repeat(64)): string {
  return [{ sessionId, projectHash, startTime: '2026-06-05T04:59:39.932Z', lastUpdated: '2026-06-05T04:59:39.932Z', kind: 'main' }, ...records].map((r) => `${JSON.stringify(r)}\n`).join('');
}

export interface ClineRequest {
  tokensIn?: number;
  tokensOut?: number;
  cacheWrites?: number;
  cacheReads?: number;
  cost?: number;
  apiProtocol?: string;
}

/** A `say:"api_req_started"` message; without counts it is the placeholder written before the stream. */
export function clineRequest(ts: number, r: ClineRequest, modelInfo?: { providerId: string; modelId: string }): Record<string, unknown> {
  return { ts, type: 'say', say: 'api_req_started', text: JSON.stringify({ request: '<task>…</task>', ...r }), ...(modelInfo ? { modelInfo: { ...modelInfo, mode: 'act' } } : {}) };
}

export function clineSay(ts: number, say: string, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ts, type: 'say', say, text, ...extra };
}

export function clineAsk(ts: number, ask: string, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ts, type: 'ask', ask, text, ...extra };
}

/** The tasks folder of an extension in VS Code on Linux, relative to the scratch dir. */
export function tasksDir(extensionId: string, editor = 'Code'): string {
  return `home/.config/${editor}/User/globalStorage/${extensionId}/tasks`;
}
