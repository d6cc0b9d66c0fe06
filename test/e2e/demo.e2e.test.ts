/**
 * End to end: the README's first command, `npm start`, as a person runs it. It must open the
 * packaged extension in code-server on the demo workspace, run a real Claude Code session there
 * whose cost the meter shows (as the engine counts it from the same log), and stop everything it
 * started, agent and editor included, when npm is sent SIGTERM: npm passes the signal only to its
 * `sh -c`, so the demo has to notice that it was left behind.
 *
 * Needs scripts/setup/editor.sh and scripts/setup/agents.sh (the demo runs both; cached).
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { meterView } from '../../src/core/meter/meterView';
import { createPricer } from '../../src/core/pricing/pricer';
import { inWorkspace, workspaceSpendToday } from '../../src/core/tasks/attribution';
import { openWorkbench, waitForStatusBarEntry, type Workbench } from '../harness/codeServer';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const METER_ID = 'agent-meter.agent-meter.agentMeter.meter';

/** Every live process below `pid` (Linux /proc), zombies left out. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read from the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z') continue;
    const list = children.get(Number(ppid)) ?? [];
    list.push(Number(name));
    children.set(Number(ppid), list);
  }
  const out: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    for (const child of children.get(pending.pop()!) ?? []) {
      pending.push(child);
      out.push(child);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

describe('npm start (the demo)', function () {
  this.timeout(420_000);
  let npm: ChildProcess | undefined;
  let bench: Workbench | undefined;
  let dir: string;
  let started: number[] = [];

  before(function () {
    if (process.platform !== 'linux') this.skip(); // reads /proc
  });

  after(async () => {
    await bench?.close();
    // Whatever a failed test left running.
    for (const pid of [npm?.pid, ...started]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    if (dir && !process.env.AGENT_METER_KEEP_TEMP) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows a real agent session on the meter in code-server, and a SIGTERM to npm stops all it started', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-demo-'));
    const demo = path.join(dir, 'demo');
    npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, AGENT_METER_DEMO_EDITOR: 'code-server', AGENT_METER_DEMO_RUNS: '1', AGENT_METER_DEMO_WAIT_S: '1', AGENT_METER_DEMO_DIR: demo },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    let exited = false;
    npm.on('exit', () => (exited = true));
    const waitFor = async <T>(what: string, ms: number, probe: () => T | undefined): Promise<T> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const value = probe();
        if (value !== undefined) return value;
        if (exited) assert.fail(`npm start exited before ${what}:\n${output}`);
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}:\n${output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    const url = await waitFor('the code-server URL', 240_000, () => /(http:\/\/127\.0\.0\.1:\d+)\/\?folder=(\S+)/.exec(output) ?? undefined);
    const workspace = decodeURIComponent(url[2]);
    assert.equal(workspace, path.join(demo, 'workspace'));
    bench = await openWorkbench(url[1], workspace);
    await waitFor('the demo session to end', 180_000, () => (output.includes('demo sessions done') ? true : undefined));
    assert.doesNotMatch(output, /claude exited with/);

    // The meter shows what the engine counts from the session's log.
    const home = path.join(demo, 'home');
    const engine = new Engine({ env: { home, vars: { CLAUDE_CONFIG_DIR: path.join(home, '.claude'), CODEX_HOME: path.join(home, '.codex') } }, pricer: createPricer() });
    engine.start();
    const sessions = engine.ledger.summaries((_a, _s, cwd) => inWorkspace(cwd, [workspace]));
    assert.equal(sessions.length, 1, 'one Claude Code session in the demo workspace');
    assert.ok(sessions[0].outputTokens > 0 && sessions[0].requests >= 5, `the scripted session's replies: ${JSON.stringify(sessions[0])}`);
    const today = workspaceSpendToday([workspace], sessions, (a, s) => engine.ledger.sessionRecords(a, s), Date.now());
    const expected = meterView({ now: Date.now(), numbers: today, warningAt: 80, errorAt: 100 }).text.replace('$(pulse) ', '');
    fs.mkdirSync(path.join(ROOT, 'test-artifacts'), { recursive: true });
    try {
      await waitForStatusBarEntry(bench.page, { id: METER_ID }, { timeoutMs: 15_000, until: (e) => e.text === expected });
    } finally {
      await bench.page.screenshot({ path: path.join(ROOT, 'test-artifacts', 'demo-meter.png') });
    }

    started = descendants(npm.pid!);
    assert.ok(started.length >= 3, `npm's shell, the demo and code-server at least: ${started.join(' ')}`);
    await bench.close();
    bench = undefined;
    npm.kill('SIGTERM');
    const stopBy = Date.now() + 15_000;
    let left = started.filter(alive);
    while (left.length > 0 && Date.now() < stopBy) {
      await new Promise((r) => setTimeout(r, 200));
      left = started.filter(alive);
    }
    const commands = left.map((p) => `${p}: ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    assert.deepEqual(commands, [], 'still running 15 s after SIGTERM to npm');
  });
});
