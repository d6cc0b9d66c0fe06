import { AGENT_IDS, type AgentId } from './types';

const NAMES: Readonly<Record<AgentId, string>> = {
  'claude-code': 'Claude Code',
  codex: 'Codex',
  'gemini-cli': 'Gemini CLI',
  cline: 'Cline',
  'roo-code': 'Roo Code',
  'kilo-code': 'Kilo Code',
  opencode: 'OpenCode',
  'copilot-chat': 'GitHub Copilot Chat',
};

/** How an agent is named to a person. */
export function agentDisplayName(agent: AgentId): string {
  return NAMES[agent];
}

/** Every agent id with its display name, in AGENT_IDS order. */
export const AGENT_NAMES: ReadonlyArray<[AgentId, string]> = AGENT_IDS.map((id) => [id, agentDisplayName(id)]);

/** The agent ids as a non-empty tuple, for zod enums. */
export const AGENT_ID_TUPLE = AGENT_IDS as unknown as [AgentId, ...AgentId[]];
