import { errorHash, stableHash } from '../../util/hash';
import type { KeyedEvent } from '../types';
import { count, num, obj, parseJsonOrText, str } from '../../util/json';

/**
 * What one Copilot Chat request tells the guards. Each request is a person's turn. Its tool calls
 * are the response's `toolInvocationSerialized` parts (vscode `chatService.ts`
 * IChatToolInvocationSerialized: `toolId`, `toolCallId`, `toolSpecificData`, `resultDetails`,
 * `resultError`), which keep no arguments of their own: those come from the part where it records
 * them (a terminal's command line, a confirmed tool's `rawInput`) or from the Copilot extension's
 * result metadata, `toolCallRounds[].toolCalls[]` `{ id, name, arguments }` (vscode-copilot-chat
 * `IToolCallRound`), written when the request ends. A conversation summary in that metadata
 * (`summary`) is a compaction, and the latest model call's prompt is the context.
 */

/** Where a request's events go, and what the session around it records. */
export interface RequestContext {
  readonly sessionId: string;
  readonly timestamp: number;
  /** The session's folder, given with its first request only (it announces the session). */
  readonly announce?: { readonly cwd: string; readonly timestamp: number };
  /** The request can no longer change: it has its result, or a later request followed it. */
  readonly settled: boolean;
  /** The model picked in the chat input (`inputState.selectedModel`): its window, for requests to that model. */
  readonly selectedModel?: { readonly identifier: string; readonly maxInputTokens: number };
}

/**
 * The request's events: the session (first request), the turn, a compaction, its tool calls in
 * response order, then its context. A call whose arguments are not recorded yet waits, and so do
 * the calls after it, which keeps the calls in order for the loop rules (they share the request's
 * timestamp); in a settled request such a call has no arguments to wait for and is left out.
 */
export function requestActivity(r: Record<string, unknown>, ctx: RequestContext): KeyedEvent[] {
  const requestId = String(r.requestId);
  const base = { agent: 'copilot-chat', sessionId: ctx.sessionId, timestamp: ctx.timestamp } as const;
  const out: KeyedEvent[] = [];
  if (ctx.announce) out.push({ key: 's', event: { kind: 'session', ...base, timestamp: ctx.announce.timestamp, cwd: ctx.announce.cwd } });
  out.push({ key: `u:${requestId}`, event: { kind: 'userTurn', ...base } });
  const metadata = obj(obj(r.result)?.metadata);
  if (str(obj(metadata?.summary)?.text)) out.push({ key: `z:${requestId}`, event: { kind: 'compaction', ...base } });
  const args = roundArguments(metadata);
  for (const raw of Array.isArray(r.response) ? (r.response as unknown[]) : []) {
    const part = obj(raw);
    if (part?.kind !== 'toolInvocationSerialized' && part?.kind !== 'toolInvocation') continue;
    const name = str(part.toolId);
    const callId = str(part.toolCallId);
    if (!name || !callId) continue;
    const input = toolInput(part, args.get(callId));
    if (input === undefined) {
      if (ctx.settled) continue;
      break;
    }
    out.push({ key: `c:${callId}`, event: { kind: 'toolCall', ...base, name, argsHash: stableHash(input), callId } });
    const error = toolError(part);
    if (error !== undefined) out.push({ key: `e:${callId}`, event: { kind: 'toolError', ...base, name, errorHash: errorHash(error), callId } });
  }
  const tokens = contextTokens(r, metadata);
  if (tokens !== undefined) {
    const window = ctx.selectedModel && ctx.selectedModel.identifier === r.modelId ? ctx.selectedModel.maxInputTokens : undefined;
    // Keyed by the count: a running request reports each model call's prompt, the latest one last.
    out.push({ key: `k:${requestId}:${tokens}`, event: { kind: 'context', ...base, contextTokens: tokens, ...(window ? { contextWindow: window } : {}) } });
  }
  return out;
}

/** The model's own arguments of each call of the request, by call id, parsed. */
function roundArguments(metadata: Record<string, unknown> | undefined): Map<string, unknown> {
  const args = new Map<string, unknown>();
  const rounds = Array.isArray(metadata?.toolCallRounds) ? (metadata.toolCallRounds as unknown[]) : [];
  for (const round of rounds) {
    const calls = obj(round)?.toolCalls;
    if (!Array.isArray(calls)) continue;
    for (const raw of calls as unknown[]) {
      const call = obj(raw);
      if (typeof call?.id === 'string' && typeof call.arguments === 'string') args.set(call.id, parseJsonOrText(call.arguments));
    }
  }
  return args;
}

/**
 * The call's arguments, from the same place whenever the file is read, so equal calls hash equal:
 * a terminal's command (the `commandLine` the model wrote, or the legacy `command`), a confirmed
 * tool's `rawInput` (its parameters), else the model's arguments from the result metadata, else the
 * `input` an MCP tool's result details repeat. Undefined while none is recorded.
 */
function toolInput(part: Record<string, unknown>, roundArgs: unknown): unknown {
  const data = obj(part.toolSpecificData);
  if (data?.kind === 'terminal') {
    const command = str(obj(data.commandLine)?.original) ?? str(data.command);
    if (command !== undefined) return command;
  }
  if (data?.kind === 'input' && data.rawInput !== undefined) return data.rawInput;
  if (roundArgs !== undefined) return roundArgs;
  const input = obj(part.resultDetails)?.input;
  return typeof input === 'string' ? parseJsonOrText(input) : undefined;
}

/**
 * The failure text of a finished call, if it failed: the tool's `resultError`, an MCP result
 * marked `isError` (its output), or a terminal command that exited non-zero (its output).
 */
function toolError(part: Record<string, unknown>): string | undefined {
  if (typeof part.resultError === 'string' && part.resultError) return part.resultError;
  if (part.resultError === true) return messageText(part.pastTenseMessage) ?? messageText(part.invocationMessage) ?? 'error';
  const details = obj(part.resultDetails);
  if (details?.isError === true) {
    const output = Array.isArray(details.output) ? (details.output as unknown[]).map((o) => str(obj(o)?.value) ?? '').join('\n') : String(details.output ?? '');
    return output || 'error';
  }
  const data = obj(part.toolSpecificData);
  const exitCode = data?.kind === 'terminal' ? num(obj(data.terminalCommandState)?.exitCode) : undefined;
  if (exitCode !== undefined && exitCode !== 0) return str(obj(data?.terminalCommandOutput)?.text) ?? `exit code ${exitCode}`;
  return undefined;
}

/**
 * The prompt of the request's latest model call: vscode's `promptTokens` (the last usage the
 * extension reported), else the last tool-call round's `usage` (`prompt_tokens` plus
 * `completion_tokens`), else the result metadata's `promptTokens` plus `outputTokens`.
 */
function contextTokens(r: Record<string, unknown>, metadata: Record<string, unknown> | undefined): number | undefined {
  const prompt = count(r.promptTokens);
  if (prompt) return prompt;
  const rounds = Array.isArray(metadata?.toolCallRounds) ? (metadata.toolCallRounds as unknown[]) : [];
  const usage = obj(obj(rounds.at(-1))?.usage);
  const roundPrompt = count(usage?.prompt_tokens);
  if (roundPrompt) return roundPrompt + (count(usage?.completion_tokens) ?? 0);
  const metaPrompt = count(metadata?.promptTokens);
  return metaPrompt ? metaPrompt + (count(metadata?.outputTokens) ?? 0) : undefined;
}

function messageText(value: unknown): string | undefined {
  return str(value) ?? str(obj(value)?.value);
}
