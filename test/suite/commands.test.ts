import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/host/ids';
import { api, until } from './helpers';

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

describe('sessions of other agents in a real editor', () => {
  it('gives an older Gemini CLI chat, which names its project only by a hash of the path, to this workspace', async () => {
    const a = await api();
    const workspace = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const hash = createHash('sha256').update(workspace).digest('hex');
    const chats = path.join(process.env.GEMINI_CLI_HOME!, '.gemini', 'tmp', hash, 'chats');
    fs.mkdirSync(chats, { recursive: true });
    const sessionId = '9e311111-2222-4333-8444-555555555555';
    // Two days ago: the session is this workspace's, but not today's spend (other tests read that).
    const now = new Date(Date.now() - 2 * 86_400_000).toISOString();
    fs.writeFileSync(
      path.join(chats, 'session-2026-11-22T10-00-9e311111.json'),
      JSON.stringify({
        sessionId,
        projectHash: hash,
        startTime: now,
        lastUpdated: now,
        messages: [
          { id: 'u1', timestamp: now, type: 'user', content: [{ text: 'hi' }] },
          { id: 'g1', timestamp: now, type: 'gemini', content: 'ok', model: 'gemini-2.5-pro', tokens: { input: 1200, output: 30, cached: 200, thoughts: 10, tool: 0, total: 1240 } },
        ],
      }),
    );
    await until('the Gemini session in this workspace', () => a.meter.workspaceSessions().some((s) => s.agent === 'gemini-cli' && s.sessionId === sessionId), 10_000);
    const s = a.meter.workspaceSessions().find((x) => x.sessionId === sessionId)!;
    assert.equal(s.cwd, workspace);
    assert.deepEqual([s.inputTokens, s.cacheReadTokens, s.outputTokens], [1000, 200, 40]);
  });
});
