/**
 * Agent Meter's Claude Code PreToolUse hook (bundled as dist/agent-meter-hook.js). Claude Code runs
 * it before each tool call with the call on stdin; it reads the state file the extension keeps and,
 * when the task's hard budget is crossed or a loop is flagged, denies the call with the reason.
 * It never breaks the agent: any problem (no state file, bad JSON) allows the call.
 */
import fs = require('node:fs');

function main(): void {
  const stateFile = process.argv[2];
  let state: { stop?: unknown; reason?: unknown } | undefined;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { stop?: unknown; reason?: unknown };
  } catch {
    return; // no state: allow
  }
  if (state?.stop !== true) return;
  const reason = typeof state.reason === 'string' && state.reason ? state.reason : 'Agent Meter: the task was stopped.';
  process.stdout.write(JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: reason } }));
}

try {
  main();
} catch {
  // allow
}
