/**
 * End to end, part two: the packaged extension in code-server (a real VS Code) in headless
 * Chromium, with the real Claude Code CLI writing a real log against the scripted model server.
 * The status bar is read from the rendered page, and must show the session's exact tokens and
 * cost (as the engine computes them from the same log) within 2 s of the agent's last write.
 * A task defined through the real command palette then meters against its budget and turns the
 * meter to the theme's warning and error colours. Screenshots land in test-artifacts/.
 *
 * Needs scripts/setup/editor.sh, scripts/setup/agents.sh and a packaged agent-meter.vsix.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { Engine } from '../../src/core/engine';
import { meterView } from '../../src/core/meter/meterView';
import { createPricer } from '../../src/core/pricing/pricer';
import { inWorkspace, taskNumbers, workspaceSpendToday } from '../../src/core/tasks/attribution';
import type { Task } from '../../src/core/tasks/task';
import { findStatusBarEntry, installVsix, openWorkbench, startCodeServer, type CodeServer, type StatusBarEntry, type Workbench } from '../harness/codeServer';
import { runClaude } from './agents';
import { startModelServer, sumAnthropic, type ModelServer } from './modelServer';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const VSIX = path.join(ROOT, 'agent-meter.vsix');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const METER_ID = 'agent-meter.agent-meter.agentMeter.meter';
/** The bound: the meter shows a write within 2 s. */
const FRESHNESS_MS = 2000;

describe('the extension in a real editor, fed by a real agent', function () {
  this.timeout(240_000);
  let root: string;
  let home: string;
  let workspace: string;
  let model: ModelServer;
  let editor: CodeServer;
  let bench: Workbench;
  let page: Page;

  const claudeDir = () => path.join(home, '.claude');
  const engine = () => {
    const e = new Engine({ env: { home, vars: { CLAUDE_CONFIG_DIR: claudeDir(), CODEX_HOME: path.join(home, '.codex') } }, pricer: createPricer() });
    e.start();
    return e;
  };
  const meterText = async (until: (e: StatusBarEntry) => boolean, ms: number): Promise<StatusBarEntry> => {
    const deadline = Date.now() + ms;
    let last: StatusBarEntry | undefined;
    for (;;) {
      last = await findStatusBarEntry(page, { id: METER_ID });
      if (last && until(last)) return last;
      if (Date.now() > deadline) throw new Error(`meter not as expected after ${ms} ms; last: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const palette = async (command: string) => {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.keyboard.type(command);
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
  };
  const answer = async (text: string, replace = false) => {
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    if (replace) await page.keyboard.press('Control+A');
    if (text) await page.keyboard.type(text);
    await page.waitForTimeout(150);
    await page.keyboard.press('Enter');
  };
  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name) });

  before(async () => {
    if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} missing: run "npm run package" first`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-e2e-'));
    home = path.join(root, 'home');
    workspace = path.join(root, 'workspace');
    for (const d of [home, workspace, claudeDir()]) fs.mkdirSync(d, { recursive: true });
    model = await startModelServer({ scenario: 'normal' });
    const extensionsDir = path.join(root, 'extensions');
    const userDataDir = path.join(root, 'data');
    fs.mkdirSync(extensionsDir, { recursive: true });
    await installVsix(VSIX, { extensionsDir, userDataDir });
    editor = await startCodeServer({ workspace, extensionsDir, userDataDir, env: { CLAUDE_CONFIG_DIR: claudeDir(), CODEX_HOME: path.join(home, '.codex') } });
    bench = await openWorkbench(editor.url, workspace);
    page = bench.page;
    await meterText((e) => e.text.includes('Agent Meter'), 60_000);
  });

  after(async () => {
    await bench?.close();
    await editor?.close();
    await model?.close();
    if (root && !process.env.AGENT_METER_KEEP_TEMP) fs.rmSync(root, { recursive: true, force: true });
  });

  it("shows a real Claude Code session's exact tokens and cost within 2 s of its last write", async () => {
    const run = await runClaude({ cwd: workspace, home, serverUrl: model.url, prompt: 'Create hello.txt containing hi.' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.logFiles.length, 1, `one transcript: ${run.logFiles.join(', ')}`);
    const lastWrite = fs.statSync(run.logFiles[0]).mtimeMs;

    // What the engine computes from the same log must be what the provider billed.
    const e = engine();
    const sessions = e.ledger.summaries((_a, _s, cwd) => inWorkspace(cwd, [workspace]));
    assert.equal(sessions.length, 1);
    const billed = sumAnthropic(model.requests.filter((r) => r.role === 'main'));
    assert.deepEqual(
      [sessions[0].inputTokens, sessions[0].outputTokens, sessions[0].cacheCreationTokens, sessions[0].cacheReadTokens, sessions[0].requests],
      [billed.input, billed.output, billed.cacheCreation, billed.cacheRead, billed.replies],
    );
    const today = workspaceSpendToday([workspace], sessions, (a, s) => e.ledger.sessionRecords(a, s), Date.now());
    const expected = meterView({ now: Date.now(), numbers: today, warningAt: 80, errorAt: 100 }).text.replace('$(pulse) ', '');
    assert.match(expected, /^\$\d+\.\d+ today · [\d.]+k$/);

    const entry = await meterText((m) => m.text === expected, 10_000);
    const seenAfter = Date.now() - lastWrite;
    await shot('meter-after-claude-session.png');
    assert.ok(seenAfter <= FRESHNESS_MS, `the meter showed "${entry.text}" ${seenAfter} ms after the last write (bound ${FRESHNESS_MS} ms)`);
    assert.match(entry.ariaLabel, /tokens today in this workspace/);
  });

  it('meters a task defined in the command palette, turning to the warning and error colours', async () => {
    const normal = (await findStatusBarEntry(page, { id: METER_ID }))!.background;
    await palette('Agent Meter: Start Task');
    await answer('Create the greeting file');
    await answer('hello.txt exists');
    await answer(''); // no more criteria
    await answer('$100', true);
    await meterText((m) => m.text === '$0.00 · 0 · 0%', 10_000);

    const run = await runClaude({ cwd: workspace, home, serverUrl: model.url, prompt: 'Create hello.txt again.' });
    assert.equal(run.code, 0, run.stderr);
    const store = path.join(editor.userDataDir, 'User', 'globalStorage', 'agent-meter.agent-meter', 'tasks.json');
    const task = (JSON.parse(fs.readFileSync(store, 'utf8')) as { tasks: Task[] }).tasks.find((t) => t.status === 'active')!;
    assert.equal(task.goal, 'Create the greeting file');
    const e = engine();
    const numbers = taskNumbers(task, e.ledger.summaries(), (a, s) => e.ledger.sessionRecords(a, s), Date.now());
    assert.ok(numbers.costUSD && numbers.costUSD > 0, 'the second run cost something');
    const spent = meterView({ now: Date.now(), numbers, warningAt: 80, errorAt: 100 }).text.replace('$(pulse) ', '').replace(' today', '');
    await meterText((m) => m.text === `${spent} · 0%`, 10_000);

    const themeColour = (name: string) =>
      page.evaluate((v) => {
        const probe = document.createElement('div');
        probe.style.backgroundColor = `var(${v})`;
        // Theme colours are CSS variables on the workbench element, not on <body>.
        (document.querySelector('.monaco-workbench') ?? document.body).appendChild(probe);
        const c = getComputedStyle(probe).backgroundColor;
        probe.remove();
        return c;
      }, name);
    const warning = await themeColour('--vscode-statusBarItem-warningBackground');
    const error = await themeColour('--vscode-statusBarItem-errorBackground');
    assert.notEqual(warning, error);

    await palette('Agent Meter: Edit Budget');
    await answer(`$${(numbers.costUSD! / 0.9).toFixed(6)}`, true);
    const warned = await meterText((m) => m.text.endsWith(' · 90%'), 10_000);
    await meterText((m) => m.background === warning, 5000);
    await shot('meter-task-warning.png');

    await palette('Agent Meter: Edit Budget');
    await answer(`$${(numbers.costUSD! / 2).toFixed(6)}`, true);
    await meterText((m) => m.text.endsWith(' · 200%') && m.background === error, 10_000);
    await shot('meter-task-error.png');
    assert.notEqual(warned.background, normal);
  });
});
