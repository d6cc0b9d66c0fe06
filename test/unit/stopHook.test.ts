import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hasHook, hookCommand, stopDecision, withHook, withoutHook } from '../../src/core/guard/stopHook';

const COMMAND = hookCommand('/usr/bin/node', '/ext/dist/agent-meter-hook.js', '/state/x.json', 'linux');

describe('stop hook settings', () => {
  it('adds its PreToolUse hook beside the user\'s own settings and hooks, and removes only its own', () => {
    const mine = JSON.stringify({ permissions: { allow: ['Bash(ls)'] }, hooks: { PreToolUse: [{ matcher: 'Bash', hooks: [{ type: 'command', command: './check.sh' }] }], Stop: [] } });
    const added = withHook(mine, COMMAND);
    const parsed = JSON.parse(added);
    assert.deepEqual(parsed.permissions, { allow: ['Bash(ls)'] });
    assert.equal(parsed.hooks.PreToolUse.length, 2);
    assert.equal(parsed.hooks.PreToolUse[1].hooks[0].command, COMMAND);
    assert.ok(hasHook(added));
    // Installing twice keeps one entry.
    assert.equal(JSON.parse(withHook(added, COMMAND)).hooks.PreToolUse.length, 2);
    const removed = JSON.parse(withoutHook(added)!);
    assert.deepEqual(removed, JSON.parse(mine));
  });

  it('deletes a settings file it created, and refuses to touch one it cannot read', () => {
    assert.equal(withoutHook(withHook(undefined, COMMAND)), undefined);
    assert.throws(() => withHook('{ "hooks": ', COMMAND), /not valid JSON/);
    assert.throws(() => withHook('[1]', COMMAND), /not a JSON object/);
  });

  it('quotes paths for the shell', () => {
    assert.equal(hookCommand('/a b/node', "/it's/hook.js", '/s.json', 'linux'), `ELECTRON_RUN_AS_NODE=1 '/a b/node' '/it'\\''s/hook.js' '/s.json'`);
  });

  it('stops past the hard budget or on a loop flag, not before', () => {
    assert.equal(stopDecision({ budgetFraction: 0.99, loopFlags: [], goal: 'g' }).stop, false);
    assert.match(stopDecision({ budgetFraction: 1.2, loopFlags: [], goal: 'g' }).reason, /120% of its budget/);
    assert.match(stopDecision({ budgetFraction: undefined, loopFlags: ['Claude Code has called Bash 6 times.'], goal: 'g' }).reason, /called Bash/);
  });

  it('the built hook denies with the reason when armed and allows otherwise', function () {
    const hook = path.join(__dirname, '..', '..', '..', 'dist', 'agent-meter-hook.js');
    if (!fs.existsSync(hook)) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'am-hook-'));
    try {
      const state = path.join(dir, 'state.json');
      const call = JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } });
      assert.equal(spawnSync(process.execPath, [hook, state], { input: call, encoding: 'utf8' }).stdout, '', 'no state: allowed');
      fs.writeFileSync(state, JSON.stringify({ version: 1, stop: true, reason: 'over budget' }));
      const denied = spawnSync(process.execPath, [hook, state], { input: call, encoding: 'utf8' });
      assert.equal(denied.status, 0);
      assert.deepEqual(JSON.parse(denied.stdout), { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: 'over budget' } });
      fs.writeFileSync(state, JSON.stringify({ version: 1, stop: false, reason: '' }));
      assert.equal(spawnSync(process.execPath, [hook, state], { input: call, encoding: 'utf8' }).stdout, '');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
