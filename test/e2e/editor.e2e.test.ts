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
import type { Frame, Page } from 'playwright-core';
import { Engine } from '../../src/core/engine';
import { meterView } from '../../src/core/meter/meterView';
import { compactTokens, dollars as dollarsText } from '../../src/core/report/format';
import { createPricer } from '../../src/core/pricing/pricer';
import { inWorkspace, taskNumbers, workspaceSpendToday } from '../../src/core/tasks/attribution';
import type { Task } from '../../src/core/tasks/task';
import { findStatusBarEntry, installVsix, openWorkbench, startCodeServer, type CodeServer, type StatusBarEntry, type Workbench } from '../harness/codeServer';
import { runClaude } from './agents';
import { startModelServer, sumAnthropic, type ModelServer, type ScenarioName } from './modelServer';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const VSIX = path.join(ROOT, 'agent-meter.vsix');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const METER_ID = 'agent-meter.agent-meter.agentMeter.meter';
/** The bound: the meter shows a write within 2 s. */
const FRESHNESS_MS = 2000;

/** Waits until `done()` holds, looking every 100 ms, for at most `ms`: the assertion after it says what was missing. */
async function pollUntil(done: () => boolean, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !done() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
}

/** Driving the workbench as a person would: the command palette, input boxes, the status bar. */
function ui(page: () => Page) {
  const meterText = async (until: (e: StatusBarEntry) => boolean, ms: number): Promise<StatusBarEntry> => {
    const deadline = Date.now() + ms;
    let last: StatusBarEntry | undefined;
    for (;;) {
      last = await findStatusBarEntry(page(), { id: METER_ID });
      if (last && until(last)) return last;
      if (Date.now() > deadline) throw new Error(`meter not as expected after ${ms} ms; last: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const palette = async (command: string) => {
    await page().keyboard.press('F1');
    await page().waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page().keyboard.type(command);
    await page().waitForTimeout(300);
    await page().keyboard.press('Enter');
  };
  /** What the open quick input asks (title with its step, placeholder, prompt); '' when closed. */
  const asking = () =>
    page().evaluate(() => {
      const w = document.querySelector<HTMLElement>('.quick-input-widget');
      if (!w || getComputedStyle(w).display === 'none') return '';
      const text = (selector: string) => w.querySelector(selector)?.textContent ?? '';
      return [text('.quick-input-title'), w.querySelector('input')?.getAttribute('placeholder') ?? '', text('.quick-input-message')].join('|');
    });
  const answer = async (text: string, replace = false) => {
    await page().waitForSelector('.quick-input-widget input', { state: 'visible' });
    const question = await asking();
    if (replace) await page().keyboard.press('Control+A');
    if (text) await page().keyboard.type(text);
    await page().waitForTimeout(150);
    await page().keyboard.press('Enter');
    // A multi-step input keeps the widget open: wait for the next question (or the close) so
    // the next answer is not typed into this one.
    const deadline = Date.now() + 5000;
    while ((await asking()) === question && Date.now() < deadline) await page().waitForTimeout(50);
  };
  const shot = (name: string) => page().screenshot({ path: path.join(ARTIFACTS, name) });
  return { meterText, palette, answer, shot };
}

interface Launched {
  root: string;
  home: string;
  workspace: string;
  model: ModelServer;
  editor: CodeServer;
  bench: Workbench;
  page: Page;
}

/** Scratch home and workspace, the model server, the packaged extension in code-server, Chromium. */
async function launch(o: { scenario: ScenarioName; settings?: Record<string, unknown> }): Promise<Launched> {
  if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} missing: run "npm run package" first`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-e2e-'));
  const home = path.join(root, 'home');
  const workspace = path.join(root, 'workspace');
  for (const d of [home, workspace, path.join(home, '.claude')]) fs.mkdirSync(d, { recursive: true });
  const model = await startModelServer({ scenario: o.scenario });
  const extensionsDir = path.join(root, 'extensions');
  const userDataDir = path.join(root, 'data');
  fs.mkdirSync(extensionsDir, { recursive: true });
  await installVsix(VSIX, { extensionsDir, userDataDir });
  const editor = await startCodeServer({
    workspace,
    extensionsDir,
    userDataDir,
    settings: o.settings,
    env: {
      CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
      CODEX_HOME: path.join(home, '.codex'),
      // The other agents' logs stay in the scratch home too: the test never reads the real ones.
      GEMINI_CLI_HOME: home,
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      AGENT_METER_EDITOR_USER_DIRS: path.join(home, 'editors'),
    },
  });
  const bench = await openWorkbench(editor.url, workspace);
  return { root, home, workspace, model, editor, bench, page: bench.page };
}

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
  const { meterText, palette, answer, shot } = ui(() => page);

  before(async () => {
    ({ root, home, workspace, model, editor, bench, page } = await launch({ scenario: 'normal' }));
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
    // A few cents of $100: under half a percent, shown as <1% (0% is nothing spent).
    await meterText((m) => m.text === `${spent} · <1%`, 10_000);

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
    // One notification says the budget is spent: the alert at 100%, with the share used now. The
    // guard keeps its own flag for that moment with the task (for the recap and the meter) without
    // saying it a second time.
    await page.waitForSelector('.notification-toast:has-text("has used 200% of its budget")', { timeout: 10_000 });
    const spentFlag = () => storedTasks(editor).find((t) => t.status === 'active')?.flags.find((f) => f.rule === 'budgetProjection' && f.severity === 'error');
    await pollUntil(() => spentFlag() !== undefined, 10_000);
    assert.match(spentFlag()?.message ?? '', /and agents are still working/, 'the guard kept its flag for the spent budget');
    assert.equal(await page.locator('.notification-toast:has-text("agents are still working")').count(), 0, 'and showed no second notification');
    await shot('meter-task-error.png');
    assert.notEqual(warned.background, normal);
  });

  it("shows the task's recap after the real session, with the engine's numbers", async () => {
    await palette('Agent Meter: Show Recap');
    const store = storedTasks(editor).find((t) => t.status === 'active')!;
    const e = engine();
    const numbers = taskNumbers(store, e.ledger.summaries(), (a, s) => e.ledger.sessionRecords(a, s), Date.now());
    const cost = dollarsText(numbers.costUSD);
    const text = await recapText(page, (t) => t.includes('Create the greeting file') && t.includes(cost), 20_000);
    assert.match(text, /hello\.txt exists/, 'the done criterion is listed');
    assert.ok(text.includes(numbers.totalTokens.toLocaleString('en-US')) || text.includes(compactTokens(numbers.totalTokens)), `the task's ${numbers.totalTokens} tokens are shown`);
    await page.waitForTimeout(500);
    await shot('recap-after-claude-session.png');
  });

  it("saves the recap as Markdown where the editor's Save dialog says", async () => {
    const store = storedTasks(editor).find((t) => t.status === 'active')!;
    const e = engine();
    const numbers = taskNumbers(store, e.ledger.summaries(), (a, s) => e.ledger.sessionRecords(a, s), Date.now());
    const { frame } = await recapShown(page, (t) => t.includes('Where the tokens went'), 10_000);
    await frame.click('button[data-key="save-md"]');
    // In code-server the Save dialog is the workbench's path input, offering the workspace folder.
    // It fills in the folder first and the file name a moment later: wait for the whole path.
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    let offered = '';
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await page.waitForTimeout(100)) {
      offered = await page.inputValue('.quick-input-widget input');
      if (offered.endsWith('.md')) break;
    }
    const file = path.join(workspace, 'agent-meter-recap-create-the-greeting-file.md');
    assert.equal(offered, file, 'the recap is offered under its goal, in the workspace folder');
    await page.waitForTimeout(300);
    await page.keyboard.press('Enter');
    await pollUntil(() => fs.existsSync(file), 10_000);
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^### Agent Meter recap: Create the greeting file/);
    assert.ok(text.includes(dollarsText(numbers.costUSD)), `the task's cost ${dollarsText(numbers.costUSD)} is in the file`);
    assert.match(text, /- \[.\] hello\.txt exists/, 'the done criterion is listed');
    await recapText(page, (t) => t.includes(`Saved ${file}`), 5000);
    fs.rmSync(file);
  });

  it('updates the open recap live while the agent works, and restores it after a reload', async () => {
    const run = await runClaude({ cwd: workspace, home, serverUrl: model.url, prompt: 'Once more.' });
    assert.equal(run.code, 0, run.stderr);
    const store = storedTasks(editor).find((t) => t.status === 'active')!;
    const e = engine();
    const numbers = taskNumbers(store, e.ledger.summaries(), (a, s) => e.ledger.sessionRecords(a, s), Date.now());
    const cost = dollarsText(numbers.costUSD);
    const tokens = compactTokens(numbers.totalTokens);
    await recapText(page, (t) => t.includes(cost) && t.includes(tokens), 10_000);

    // An orderly reload, as a user would do it: the workbench saves its editors first.
    await palette('Developer: Reload Window');
    await page.waitForTimeout(2000);
    await page.waitForSelector('.statusbar', { timeout: 60_000 });
    const restored = await recapText(page, (t) => t.includes('Create the greeting file') && t.includes(tokens), 60_000).catch(async (error: unknown) => {
      await shot('recap-restore-failed.png');
      throw error;
    });
    assert.match(restored, /Done criteria/);
    await shot('recap-restored-after-reload.png');
  });
});

/** The task store the extension keeps in code-server's global storage. */
function storedTasks(editor: CodeServer): Task[] {
  const file = path.join(editor.userDataDir, 'User', 'globalStorage', 'agent-meter.agent-meter', 'tasks.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { tasks: Task[] }).tasks : [];
}

/**
 * The recap webview (an iframe inside an iframe in the workbench) once its text satisfies `until`:
 * its frame and that text.
 */
async function recapShown(page: Page, until: (text: string) => boolean, ms: number): Promise<{ frame: Frame; text: string }> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const text = await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '');
      if (text.includes('Where the tokens went') || text.includes('Outcome per dollar')) {
        last = text;
        if (until(text)) return { frame, text };
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`recap not as expected after ${ms} ms; last text: ${last.slice(0, 500)}`);
}

/** The text of the recap webview once it satisfies `until`. */
async function recapText(page: Page, until: (text: string) => boolean, ms: number): Promise<string> {
  return (await recapShown(page, until, ms)).text;
}

describe('flags raised against a task by real agents', function () {
  this.timeout(300_000);
  let launched: Launched;
  const { meterText, palette, answer, shot } = ui(() => launched.page);
  /** 6 s instead of 30 min, so the idle scenario's quiet shows within the test. */
  const IDLE_MINUTES = 0.1;

  before(async () => {
    launched = await launch({ scenario: 'normal', settings: { 'agentMeter.guard.thresholds': { idleMinutes: IDLE_MINUTES }, 'agentMeter.tasks.promptOnNewSession': false } });
    await meterText((e) => e.text.includes('Agent Meter'), 60_000);
    await palette('Agent Meter: Start Task');
    await answer('Exercise the agent');
    await answer('it stops looping');
    await answer('');
    await answer('$100', true);
    await meterText((m) => m.text.endsWith(' · 0%'), 10_000);
  });

  after(async () => {
    await launched?.bench.close();
    await launched?.editor.close();
    await launched?.model.close();
    if (launched && !process.env.AGENT_METER_KEEP_TEMP) fs.rmSync(launched.root, { recursive: true, force: true });
  });

  const flags = () => storedTasks(launched.editor).find((t) => t.status === 'active')?.flags ?? [];
  const runScenario = async (name: ScenarioName) => {
    const model = await startModelServer({ scenario: name });
    try {
      const run = await runClaude({ cwd: launched.workspace, home: launched.home, serverUrl: model.url, prompt: `Scenario ${name}.` });
      assert.equal(run.code, 0, run.stderr);
      return run;
    } finally {
      await model.close();
    }
  };
  const waitForFlag = async (rule: string, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const flag = flags().find((f) => f.rule === rule);
      if (flag) return flag;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no ${rule} flag within ${ms} ms; flags: ${JSON.stringify(flags().map((f) => f.rule))}`);
  };

  it('raises nothing for a normal task', async () => {
    await runScenario('normal');
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(flags().map((f) => f.rule), []);
  });

  it('flags a runaway loop within 10 s of the fifth identical call', async () => {
    const run = await runScenario('runaway');
    const lines = fs.readFileSync(run.logFiles[0], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; timestamp: string; message?: { content?: Array<{ type: string }> } });
    const calls = lines.filter((l) => l.type === 'assistant' && l.message?.content?.some((c) => c.type === 'tool_use'));
    assert.ok(calls.length >= 5, `${calls.length} tool calls`);
    const fifth = Date.parse(calls[4].timestamp);
    const flag = await waitForFlag('repeatedToolCycle', 15_000);
    assert.ok(flag.at - fifth <= 10_000, `flagged ${flag.at - fifth} ms after the fifth identical call`);
    assert.match(flag.message, /\S/);
    // Measured once the toast has finished fading in (its buttons are narrower while it scales).
    const toast = await launched.page.waitForSelector('.notification-toast.notification-fade-in-done:has-text("has called")', { timeout: 10_000 });
    // The five actions, each label whole in the toast (longer ones were cut to "Finis…").
    const buttons = await toast.$$eval('.monaco-button', (els) =>
      els.map((b) => {
        const text = document.createRange();
        text.selectNodeContents(b);
        const style = getComputedStyle(b);
        const room = b.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return { label: b.textContent ?? '', cut: text.getBoundingClientRect().width > room + 0.5 };
      }),
    );
    assert.deepEqual(buttons, ['Recap', 'Snooze 15m', 'Raise Budget', 'Finish', 'Mute'].map((label) => ({ label, cut: false })));
    await shot('flag-runaway.png');
    await meterText((m) => m.background !== 'rgba(0, 0, 0, 0)', 5000);
  });

  it('flags an error loop', async () => {
    await runScenario('errorLoop');
    await waitForFlag('errorLoop', 15_000);
  });

  it('flags an idle task once the agent has been quiet past the threshold', async () => {
    await runScenario('idle');
    const flag = await waitForFlag('idleTask', IDLE_MINUTES * 60_000 + 15_000);
    assert.match(flag.message, /\S/);
  });
});

describe('the opt-in stop hook stops a real Claude Code over budget', function () {
  this.timeout(300_000);
  let launched: Launched;
  const { meterText, palette, answer, shot } = ui(() => launched.page);

  before(async () => {
    launched = await launch({ scenario: 'normal', settings: { 'agentMeter.tasks.promptOnNewSession': false } });
    await meterText((e) => e.text.includes('Agent Meter'), 60_000);
  });

  after(async () => {
    await launched?.bench.close();
    await launched?.editor.close();
    await launched?.model.close();
    if (launched && !process.env.AGENT_METER_KEEP_TEMP) fs.rmSync(launched.root, { recursive: true, force: true });
  });

  it('denies tool calls with the reason once the budget is spent, and is removed when the task ends', async () => {
    const { page, workspace, home } = launched;
    await palette('Agent Meter: Start Task');
    await answer('Tiny budget');
    await answer('nothing runs past the budget');
    await answer('');
    await answer('$0.001', true);
    await meterText((m) => m.text.endsWith(' · 0%'), 10_000);
    const first = await runClaude({ cwd: workspace, home, serverUrl: launched.model.url, prompt: 'Spend.' });
    assert.equal(first.code, 0, first.stderr);
    await meterText((m) => /· \d{3,}%$/.test(m.text), 10_000);

    await palette('Agent Meter: Enable Stop Hook for Claude Code');
    const install = await page.waitForSelector('.monaco-dialog-box >> text=Install Hook', { timeout: 10_000 }).catch(async (error: unknown) => {
      await shot('stop-hook-consent-missing.png');
      throw error;
    });
    await shot('stop-hook-consent.png');
    await install.click();
    const settingsFile = path.join(workspace, '.claude', 'settings.local.json');
    await page.waitForTimeout(500);
    assert.match(fs.readFileSync(settingsFile, 'utf8'), /agent-meter-hook\.js/);

    const model = await startModelServer({ scenario: { name: 'second', steps: [{ kind: 'tool', command: 'echo more > second.txt' }] } });
    try {
      const run = await runClaude({ cwd: workspace, home, serverUrl: model.url, prompt: 'Write second.txt.' });
      assert.equal(run.code, 0, run.stderr);
      assert.ok(!fs.existsSync(path.join(workspace, 'second.txt')), 'the tool call was denied');
      const results = fs
        .readFileSync(run.logFiles[0], 'utf8')
        .split('\n')
        .filter((l) => l.includes('tool_result'))
        .join('\n');
      assert.match(results, /Agent Meter: the task \\"Tiny budget\\" has used \d+% of its budget/, 'Claude Code was told why');
    } finally {
      await model.close();
    }

    await palette('Agent Meter: Finish Task');
    await answer(''); // outcome: the first choice
    await answer(''); // criteria as ticked
    await pollUntil(() => !fs.existsSync(settingsFile), 10_000);
    assert.ok(!fs.existsSync(settingsFile), 'the settings file it created is gone with the task');
  });
});
