import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AgentMeterApi } from '../../src/extension';
import { COMMANDS } from '../../src/host/ids';

async function api(): Promise<AgentMeterApi> {
  const ext = vscode.extensions.getExtension<AgentMeterApi>('agent-meter.agent-meter')!;
  const exports = ext.isActive ? ext.exports : await ext.activate();
  await exports.ready;
  return exports;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('commands in a real editor', () => {
  it('Pause Task and Resume Task change the task and the meter', async () => {
    const a = await api();
    const task = a.tasks.start({ goal: 'Pause me', criteria: ['paused once'], budget: { minutes: 30 } });
    try {
      await vscode.commands.executeCommand(COMMANDS.pauseTask);
      assert.equal(a.tasks.openTask?.status, 'paused');
      await until('the paused icon', () => a.meter.current?.text.startsWith('$(debug-pause)') ?? false);
      await vscode.commands.executeCommand(COMMANDS.resumeTask);
      assert.equal(a.tasks.openTask?.status, 'active');
      assert.equal(a.tasks.openTask?.pauses.length, 1);
      await until('the running icon', () => a.meter.current?.text.startsWith('$(pulse)') ?? false);
    } finally {
      a.tasks.finish(task.id, 'abandoned', [false], a.meter.numbersOf(task));
    }
  });

  it('Rescan Agent Logs reads every log again without counting anything twice', async () => {
    const a = await api();
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const session = '5ca11ed0-0000-4000-8000-000000000009';
    const dir = path.join(process.env.CLAUDE_CONFIG_DIR!, 'projects', 'rescan-test');
    fs.mkdirSync(dir, { recursive: true });
    const line = JSON.stringify({ type: 'assistant', cwd: workspace, sessionId: session, timestamp: new Date().toISOString(), requestId: 'req_rescan', message: { id: 'msg_rescan', model: 'claude-sonnet-4-5-20250929', content: [], usage: { input_tokens: 7, output_tokens: 3 } } });
    fs.writeFileSync(path.join(dir, `${session}.jsonl`), `${line}\n`);
    await vscode.commands.executeCommand(COMMANDS.rescan);
    assert.equal(a.engine.engine.ledger.summary('claude-code', session)?.totalTokens, 10);
    await vscode.commands.executeCommand(COMMANDS.rescan);
    assert.equal(a.engine.engine.ledger.summary('claude-code', session)?.totalTokens, 10);
  });

  it('Show Log opens the Agent Meter output channel', async () => {
    await vscode.commands.executeCommand(COMMANDS.showLog);
    await until('the output document', () => vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'output' && /Agent Meter/i.test(decodeURIComponent(d.uri.toString()))));
  });

  it('Edit Budget and Pause Task without an open task only inform and change nothing', async () => {
    const a = await api();
    assert.equal(a.tasks.openTask, undefined);
    // Without a task these only inform; they must not throw or change anything.
    await vscode.commands.executeCommand(COMMANDS.editBudget);
    await vscode.commands.executeCommand(COMMANDS.pauseTask);
    assert.equal(a.tasks.openTask, undefined);
  });
});
