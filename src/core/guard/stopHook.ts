/**
 * The opt-in stop hook for Claude Code: what Agent Meter adds to `.claude/settings.local.json`
 * (a PreToolUse command hook), how it is removed without touching anything else, and when the
 * hook should deny tool calls. Pure: files are read and written by the host.
 */

/** Marks our hook entry: the command names this file. */
export const HOOK_SCRIPT_NAME = 'agent-meter-hook.js';

/** What the hook reads on every tool call (written atomically by the extension). */
export interface StopState {
  readonly version: 1;
  /** Deny tool calls. */
  readonly stop: boolean;
  /** One sentence shown to the agent (and so to the user) when a call is denied. */
  readonly reason: string;
  readonly taskId?: string;
  readonly updatedAt: string;
}

/** Whether to stop, and why: the hard budget is crossed, or a loop is flagged. */
export function stopDecision(o: { budgetFraction: number | undefined; loopFlags: readonly string[]; goal: string }): { stop: boolean; reason: string } {
  if (o.budgetFraction !== undefined && o.budgetFraction >= 1) {
    return { stop: true, reason: `Agent Meter: the task "${o.goal}" has used ${Math.round(o.budgetFraction * 100)}% of its budget. Stop and report progress; the user can raise the budget in VS Code.` };
  }
  if (o.loopFlags.length) {
    return { stop: true, reason: `Agent Meter: ${o.loopFlags[0]} Stop repeating it and report what blocks you.` };
  }
  return { stop: false, reason: '' };
}

/** The shell command Claude Code runs for the hook. */
export function hookCommand(nodePath: string, script: string, stateFile: string, platform: NodeJS.Platform = process.platform): string {
  const q = (s: string) => (platform === 'win32' ? `"${s}"` : `'${s.replace(/'/g, `'\\''`)}'`);
  // The editor's own runtime runs the hook (the user may have no `node` on PATH); inside VS Code
  // desktop that runtime is Electron, which acts as Node with ELECTRON_RUN_AS_NODE.
  return platform === 'win32' ? `set ELECTRON_RUN_AS_NODE=1&& ${q(nodePath)} ${q(script)} ${q(stateFile)}` : `ELECTRON_RUN_AS_NODE=1 ${q(nodePath)} ${q(script)} ${q(stateFile)}`;
}

type Json = Record<string, unknown>;

/**
 * The settings text with our PreToolUse hook added (replacing an older one of ours). Throws when
 * the existing text is not a JSON object: we never overwrite a file we cannot read.
 */
export function withHook(existing: string | undefined, command: string): string {
  const settings = parseSettings(existing);
  const hooks = (isObject(settings.hooks) ? settings.hooks : {}) as Json;
  const pre = Array.isArray(hooks.PreToolUse) ? (hooks.PreToolUse as unknown[]).filter((m) => !isOurs(m)) : [];
  pre.push({ matcher: '*', hooks: [{ type: 'command', command, timeout: 10 }] });
  return `${JSON.stringify({ ...settings, hooks: { ...hooks, PreToolUse: pre } }, null, 2)}\n`;
}

/** The settings text without our hook; undefined when nothing else remains (delete the file). */
export function withoutHook(existing: string | undefined): string | undefined {
  if (existing === undefined) return undefined;
  const settings = parseSettings(existing);
  if (!isObject(settings.hooks)) return existing;
  const hooks = { ...(settings.hooks as Json) };
  if (Array.isArray(hooks.PreToolUse)) {
    const pre = (hooks.PreToolUse as unknown[]).filter((m) => !isOurs(m));
    if (pre.length) hooks.PreToolUse = pre;
    else delete hooks.PreToolUse;
  }
  const next: Json = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete next.hooks;
  return Object.keys(next).length === 0 ? undefined : `${JSON.stringify(next, null, 2)}\n`;
}

/** Whether the settings text holds our hook. */
export function hasHook(existing: string | undefined): boolean {
  if (existing === undefined) return false;
  try {
    const settings = parseSettings(existing);
    const pre = isObject(settings.hooks) ? (settings.hooks as Json).PreToolUse : undefined;
    return Array.isArray(pre) && pre.some(isOurs);
  } catch {
    return false;
  }
}

function parseSettings(text: string | undefined): Json {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`it is not valid JSON (${(error as Error).message}); fix or move it first`);
  }
  if (!isObject(parsed)) throw new Error('it is not a JSON object; fix or move it first');
  return parsed;
}

function isOurs(matcher: unknown): boolean {
  return isObject(matcher) && Array.isArray(matcher.hooks) && (matcher.hooks as unknown[]).some((h) => isObject(h) && typeof h.command === 'string' && h.command.includes(HOOK_SCRIPT_NAME));
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
