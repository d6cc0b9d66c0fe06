/**
 * End to end: `agent-meter statusline` as the status line of the real Claude Code, interactive, in
 * a terminal (tmux), against the scripted loopback model server. Claude Code runs the command with
 * its statusLine JSON on stdin; the line at the bottom of its screen must show the folder's task
 * (from the task store the editor keeps) and the session's cost as Agent Meter counts it from the
 * transcript, and that count must equal what the server billed.
 *
 * Needs scripts/setup/agents.sh (the CLI) and tmux (scripts/setup/editor.sh installs it).
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dollars } from '../../src/core/report/format';
import { TaskStore } from '../../src/core/tasks/taskStore';
import { baseEnv, findAgents, scratchPerTest } from './agents';
import { startModelServer, sumAnthropic, type ModelServer } from './modelServer';

const cli = path.join(__dirname, '..', '..', '..', 'dist', 'cli.js');
const API_KEY = 'sk-ant-agent-meter-e2e-0123456789abcdef';

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined, last: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; the screen:\n${last()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('agent-meter statusline in the real Claude Code', function () {
  this.timeout(120_000);
  const scratch = scratchPerTest<ModelServer>('agent-meter-statusline-');
  let session: string | undefined;

  before(() => {
    findAgents();
    if (spawnSync('tmux', ['-V']).status !== 0) throw new Error('tmux is missing: run scripts/setup/editor.sh');
  });

  afterEach(() => {
    if (session) spawnSync('tmux', ['kill-session', '-t', session]);
    session = undefined;
  });

  it("shows the folder's task and the session's cost from Claude Code's statusLine JSON, equal to what the server billed", async () => {
    const server = (scratch.server = await startModelServer({ scenario: 'normal' }));
    const home = path.join(scratch.root, 'home');
    const config = path.join(home, '.claude');
    const workspace = path.join(scratch.root, 'workspace');
    fs.mkdirSync(config, { recursive: true });
    fs.mkdirSync(workspace);
    const state = path.join(scratch.root, 'state');
    fs.writeFileSync(path.join(config, 'settings.json'), JSON.stringify({ statusLine: { type: 'command', command: `"${process.execPath}" "${cli}" statusline --state-dir "${state}"` } }));
    // A first start's screens (onboarding, the API key, trusting the folder) answered beforehand.
    fs.writeFileSync(
      path.join(config, '.claude.json'),
      JSON.stringify({ hasCompletedOnboarding: true, theme: 'dark', customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] }, projects: { [workspace]: { hasTrustDialogAccepted: true, allowedTools: [] } } }),
    );
    // The task the editor would hold for this folder: "define done" with a $1 budget.
    const editors = path.join(scratch.root, 'editors');
    new TaskStore(path.join(editors, 'User', 'globalStorage', 'agent-meter.agent-meter', 'tasks.json')).start({ workspaceFolders: [workspace], goal: 'Create hello.txt', criteria: ['hello.txt exists'], budget: { usd: 1 } });
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(home),
      AGENT_METER_EDITOR_USER_DIRS: editors,
      TERM: 'xterm-256color',
      CLAUDE_CONFIG_DIR: config,
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_API_KEY: API_KEY,
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
    };
    const script = path.join(scratch.root, 'claude.sh');
    const exports = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join('\n');
    fs.writeFileSync(script, `#!/bin/sh\n${exports}\ncd ${JSON.stringify(workspace)}\nexec ${JSON.stringify(findAgents().claude)} --model claude-sonnet-4-5-20250929 --allowedTools Bash\n`, { mode: 0o755 });
    session = `agent-meter-${process.pid}-${Date.now()}`;
    tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', script);
    const screen = () => tmux('capture-pane', '-p', '-t', session!);

    // Before any request: the line is there, with the model Claude Code named on stdin.
    await waitFor('the status line', 30_000, () => (/Sonnet 4\.5 · task \$0\.00 of \$1\.00 \(0%\)/.test(screen()) ? true : undefined), screen);

    tmux('send-keys', '-t', session, 'Create hello.txt', 'Enter');
    const logs = path.join(config, 'projects');
    const transcript = await waitFor('the transcript', 30_000, () => {
      const dirs = fs.existsSync(logs) ? fs.readdirSync(logs) : [];
      const files = dirs.flatMap((d) => fs.readdirSync(path.join(logs, d)).filter((f) => f.endsWith('.jsonl')).map((f) => path.join(logs, d, f)));
      return files.find((f) => fs.readFileSync(f, 'utf8').includes('"Done."'));
    }, screen);
    const sessionId = path.basename(transcript, '.jsonl');

    // What Agent Meter counts for the session equals the main-loop replies the server billed.
    const billed = sumAnthropic(server.requests.filter((r) => r.role === 'main'));
    const counted = spawnSync(process.execPath, [cli, 'statusline', '--json', '--session', sessionId, '--no-cache'], { env, cwd: workspace, input: '', encoding: 'utf8' });
    assert.equal(counted.status, 0, counted.stderr);
    const numbers = JSON.parse(counted.stdout) as { task: { costUSD: number; fraction: number }; session: { totalTokens: number; requests: number; costUSD: number } };
    assert.deepEqual([numbers.session.requests, numbers.session.totalTokens], [billed.replies, billed.input + billed.cacheCreation + billed.cacheRead + billed.output]);

    // …and that is what Claude Code shows at the bottom of its screen.
    const expected = `Sonnet 4.5 · task ${dollars(numbers.task.costUSD)} of $1.00 (${Math.round(numbers.task.fraction * 100)}%) · ${dollars(numbers.session.costUSD)} session`;
    await waitFor(`"${expected}"`, 20_000, () => (screen().includes(expected) ? true : undefined), screen);
  });
});
