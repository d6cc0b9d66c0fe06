import type { Scratch } from './fixtures';

/**
 * Copilot Chat fixtures from the formats in microsoft/vscode (`chat/common/model/chatModel.ts`
 * ISerializableChatData v3 and `objectMutationLog.ts`) and vscode-copilot-chat (`IResultMetadata`:
 * `promptTokens`, `outputTokens`, `resolvedModel`, `toolCallRounds`).
 */
export function copilotRequest(o: { id: string; ts: number; text: string; response?: unknown[]; modelId?: string; metadata?: Record<string, unknown> }): Record<string, unknown> {
  return {
    requestId: o.id,
    message: { text: o.text, parts: [{ range: { start: 0, endExclusive: o.text.length }, text: o.text, kind: 'text' }] },
    variableData: { variables: [] },
    response: o.response ?? [{ value: 'Done.' }],
    result: o.metadata ? { timings: { firstProgress: 900, totalElapsed: 4000 }, metadata: o.metadata } : { timings: { firstProgress: 900, totalElapsed: 4000 } },
    followups: [],
    isCanceled: false,
    timestamp: o.ts,
    modelId: o.modelId ?? 'copilot/gpt-4.1',
  };
}

export function copilotSession(sessionId: string, requests: unknown[]): Record<string, unknown> {
  return { version: 3, requesterUsername: 'dev', responderUsername: 'GitHub Copilot', initialLocation: 'panel', requests, sessionId, creationDate: 1763600000000, lastMessageDate: 1763600005000 };
}

/** `home/.config/Code/User/workspaceStorage/<id>`, with its workspace.json when a folder is given. */
export function workspaceDir(scratch: Scratch, id: string, folderUri?: string): string {
  const dir = `home/.config/Code/User/workspaceStorage/${id}`;
  if (folderUri) scratch.write(`${dir}/workspace.json`, JSON.stringify({ folder: folderUri }));
  return dir;
}

/** A mutation log: the initial state, then `kind` 1 (set), 2 (push), 3 (delete) entries. */
export function mutationLog(initial: unknown, ...entries: Array<Record<string, unknown>>): string {
  return [{ kind: 0, v: initial }, ...entries].map((e) => JSON.stringify(e)).join('\n') + '\n';
}

/** A call's usage as the Copilot extension records it (`APIUsage`, OpenAI-style: cached tokens inside the prompt). */
export interface RoundUsage {
  prompt: number;
  completion: number;
  cached?: number;
  reasoning?: number;
}

/**
 * One `result.metadata.toolCallRounds[]` entry as a serialized vscode-copilot-chat `ToolCallRound`
 * (`response`, `toolCalls`, `toolInputRetry`, `id`, then `thinking` and, in the versions that
 * record it, the call's `usage`).
 */
export function toolCallRound(o: { id: string; response?: string; toolCalls?: Array<{ id: string; name: string; arguments: string }>; usage?: RoundUsage; thinkingTokens?: number }): Record<string, unknown> {
  const u = o.usage;
  return {
    response: o.response ?? '',
    toolCalls: o.toolCalls ?? [],
    toolInputRetry: 0,
    id: o.id,
    ...(o.thinkingTokens !== undefined ? { thinking: { id: `thinking_${o.id}`, text: 'Let me check.', tokens: o.thinkingTokens } } : {}),
    ...(u
      ? {
          usage: {
            prompt_tokens: u.prompt,
            completion_tokens: u.completion,
            total_tokens: u.prompt + u.completion,
            prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
            completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
          },
        }
      : {}),
  };
}
