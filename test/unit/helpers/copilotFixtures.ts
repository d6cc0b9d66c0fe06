import type { Scratch } from './fixtures';

/**
 * Copilot Chat fixtures from the formats in microsoft/vscode (`chat/common/model/chatModel.ts`
 * ISerializableChatData v3 and `objectMutationLog.ts`) and vscode-copilot-chat (`IResultMetadata`:
 * `promptTokens`, `outputTokens`, `resolvedModel`).
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
