import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/host/ids';
import { api, EXTENSION_ID, until } from './helpers';

function claudeLine(session: string, cwd: string, n: number, usage: { input: number; output: number; cacheRead: number }): string {
  return `${JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type: 'assistant',
    cwd,
    sessionId: session,
    version: '2.1.330',
    message: {
      id: `msg_it_${n}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'working' }],
      usage: { input_tokens: usage.input, output_tokens: usage.output, cache_read_input_tokens: usage.cacheRead, cache_creation_input_tokens: 0 },
    },
    requestId: `req_it_${n}`,
    uuid: `u-${n}`,
    timestamp: new Date().toISOString(),
  })}\n`;
}

describe('the meter in a real editor', () => {
  const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
  const session = '7e57ab1e-0000-4000-8000-000000000001';
  const logDir = path.join(process.env.CLAUDE_CONFIG_DIR!, 'projects', workspace.replace(/[^a-zA-Z0-9]/g, '-'));
  const logFile = path.join(logDir, `${session}.jsonl`);

  it('activates and registers every command package.json declares', async () => {
    const a = await api();
    assert.ok(a.activationMs >= 0);
    const registered = new Set(await vscode.commands.getCommands(true));
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { commands: Array<{ command: string }> } };
    for (const { command } of manifest.contributes.commands) assert.ok(registered.has(command), `${command} is registered`);
    assert.deepEqual(manifest.contributes.commands.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
  });

  it('shows a log written while the editor is open, and its appended lines', async () => {
    const a = await api();
    fs.mkdirSync(logDir, { recursive: true });
    fs.writeFileSync(logFile, claudeLine(session, workspace, 1, { input: 100_000, output: 20_000, cacheRead: 90_000 }));
    // 100k × $3 + 20k × $15 + 90k × $0.30 per million = $0.627
    const first = await until('the first record on the meter', () => a.meter.current?.text.includes('$0.63 today · 210k') && a.meter.current.text);
    assert.equal(first, '$(pulse) $0.63 today · 210k');
    assert.equal(a.statusBar.text, first);
    fs.appendFileSync(logFile, claudeLine(session, workspace, 2, { input: 10_000, output: 1_000, cacheRead: 0 }));
    // + $0.03 + $0.015 = $0.672
    await until('the appended record on the meter', () => a.meter.current?.text === '$(pulse) $0.67 today · 221k');
    assert.match(a.meter.current!.tooltip, /claude\\-sonnet\\-4\\-5\\-20250929/);
  });

  it('meters an open task against its budget and turns to the warning and error colours', async () => {
    const a = await api();
    const task = a.tasks.start({ goal: 'Fix <b>the</b> flaky test', criteria: ['test passes 20 times'], budget: { usd: 1 } });
    try {
      // The task starts now: earlier usage is not its own.
      await until('the task on the meter', () => a.meter.current?.text === '$(pulse) $0.00 · 0 · 0%');
      fs.appendFileSync(logFile, claudeLine(session, workspace, 3, { input: 100_000, output: 20_000, cacheRead: 90_000 }));
      await until('63% of the budget', () => a.meter.current?.text === '$(pulse) $0.63 · 210k · 63%');
      // Under the warning share; the guard may still warn (at this instant rate the budget runs
      // out within minutes), but nothing is an error yet.
      assert.notEqual(a.meter.current!.severity, 'error');
      a.tasks.editBudget(task.id, { usd: 0.7 });
      await until('the warning colour at 90%', () => a.meter.current?.severity === 'warning' && a.meter.current.text.endsWith('90%'));
      a.tasks.editBudget(task.id, { usd: 0.5 });
      await until('the error colour past 100%', () => a.meter.current?.severity === 'error' && a.meter.current.text.endsWith('125%'));
      assert.match(a.meter.current!.tooltip, /Fix \\<b\\>the\\<\/b\\> flaky test/, 'the goal is escaped, not rendered as HTML');
    } finally {
      a.tasks.finish(task.id, 'abandoned', [false], a.meter.numbersOf(task));
    }
    await until('back to today', () => a.meter.current?.text.includes('today'));
  });
});
