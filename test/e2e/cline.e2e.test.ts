/**
 * End to end: the real Cline CLI (`cline`, installed by scripts/setup/cline.sh) runs its agent loop
 * against the scripted loopback Chat Completions server (./chatServer) in a scratch home and
 * workspace, and Agent Meter's engine, reading the session files Cline wrote, must count exactly
 * the usage the server replied to the agent loop.
 *
 * How the CLI is pointed at the server (cline 3.0.65, the SDK-based CLI on @cline/core 0.0.86):
 * - `CLINE_DIR=<home>/.cline` (and HOME = the scratch home), so its data folder is
 *   `<home>/.cline/data`;
 * - `<data>/settings/providers.json`: `lastUsedProvider: "openai-compatible"` and that provider's
 *   settings `{ provider, apiKey, model, baseUrl: <server>/v1 }` — exactly what
 *   `cline auth -p openai -k … -m … -b …` writes, without running it;
 * - `<data>/settings/global-settings.json`: `{ telemetryOptOut: true, autoUpdateEnabled: false }`
 *   (the production build sends OpenTelemetry to otel.cline.bot unless opted out);
 * - env `CLINE_NO_AUTO_UPDATE=1` (no npm registry version check), `E2E_TEST=true` (no PostHog
 *   feature-flag polling), `CLINE_SESSION_BACKEND_MODE=local` (the session runs in this process:
 *   no background hub daemon is started or looked for);
 * - `cline --yolo "<prompt>"` (or plain `cline "<prompt>"`): one headless turn, tools auto-approved,
 *   then exit. With `--yolo` the run ends only when the model calls `submit_and_exit`; without it,
 *   a text reply ends it. Traced with strace, such a run connects to the loopback server only.
 *
 * What Cline 3.0.65 writes under `<data>`: `sessions/<id>/<id>.json` (the manifest: `cwd`,
 * `workspace_root`, `provider`, `model`, totals in `metadata.usage`), `sessions/<id>/<id>.messages.json`
 * (the conversation; each assistant message that made a model call carries `modelInfo { id, provider }`
 * and `metrics { inputTokens: prompt_tokens (cached included), outputTokens: completion_tokens
 * (reasoning included), cacheReadTokens: cached_tokens, cacheWriteTokens: 0 }`), `db/sessions.db`
 * (SQLite index), `logs/cline.log`, `logs/hooks.jsonl` and `cache/feature-flags.json`; no
 * `tasks/` folder. It makes no call besides the loop's (the title is the prompt), so every billed
 * reply is in the log.
 *
 * Needs scripts/setup/cline.sh; fails with that instruction when the CLI is missing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { createPricer } from '../../src/core/pricing/pricer';
import type { ActivityEvent } from '../../src/core/sources/types';
import { baseEnv, findCachedCli, scratchPerTest, spawnBounded } from './agents';
import { assertChatUsage, type ChatRecordedRequest, type ChatServer, type ChatStep, startChatServer, sumChat } from './chatServer';
import type { SessionSummary } from '../../src/core/ledger/ledger';

const PROVIDER = 'openai-compatible';
const MODEL = 'scripted-model';
/** 90 s per CLI run: a scripted task finishes in about 3 s; the bound only stops a hung CLI. */
const RUN_TIMEOUT_MS = 90_000;

/** The installed CLI (scripts/setup/cline.sh), or an error that says to run that script. */
export function findCline(env: NodeJS.ProcessEnv = process.env): string {
  return findCachedCli('cline', env);
}

/** Cline's data folder in the scratch home (`$CLINE_DIR/data`). */
export function clineDataDirOf(home: string): string {
  return path.join(home, '.cline', 'data');
}

/** `providers.json`: the OpenAI-compatible provider on the loopback server, selected. */
export function clineProviders(serverUrl: string): Record<string, unknown> {
  return {
    version: 1,
    lastUsedProvider: PROVIDER,
    modes: {},
    providers: {
      [PROVIDER]: {
        settings: { provider: PROVIDER, apiKey: 'dummy', model: MODEL, baseUrl: `${serverUrl}/v1` },
        updatedAt: new Date().toISOString(),
        tokenSource: 'manual',
      },
    },
  };
}

export async function runCline(o: { cwd: string; home: string; serverUrl: string; prompt: string; yolo: boolean; timeoutMs?: number }) {
  const cline = findCline();
  const settings = path.join(clineDataDirOf(o.home), 'settings');
  fs.mkdirSync(settings, { recursive: true });
  fs.writeFileSync(path.join(settings, 'providers.json'), JSON.stringify(clineProviders(o.serverUrl), null, 2));
  fs.writeFileSync(path.join(settings, 'global-settings.json'), JSON.stringify({ telemetryOptOut: true, autoUpdateEnabled: false }, null, 2));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(o.home),
    CLINE_DIR: path.join(o.home, '.cline'),
    CLINE_NO_AUTO_UPDATE: '1',
    E2E_TEST: 'true',
    CLINE_SESSION_BACKEND_MODE: 'local',
  };
  const args = [...(o.yolo ? ['--yolo'] : []), o.prompt];
  return spawnBounded(cline, args, o.cwd, env, o.timeoutMs ?? RUN_TIMEOUT_MS);
}

function describeRequests(s: ChatServer): string {
  return s.requests.map((r) => `#${r.index} ${r.method} ${r.path} [${r.role}] ${r.reply?.kind === 'tool' ? `→ ${r.reply.tool}` : r.reply ? '→ text' : ''} ${JSON.stringify(r.usage)}`).join('\n');
}

/** Processes whose working folder is inside `dir` (Linux): none may outlive a run. */
function processesIn(dir: string): string[] {
  if (!fs.existsSync('/proc/self/cwd')) return [];
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === dir || cwd.startsWith(dir + path.sep)) found.push(`${pid}: ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    } catch { /* gone, or not ours */ }
  }
  return found;
}

type Message = { role?: string; ts?: number; content?: unknown; metadata?: Record<string, unknown>; metrics?: Record<string, number>; modelInfo?: Record<string, string> };

/** The one session folder of a run: its manifest and messages document. */
function readSession(dataDir: string, id: string) {
  const dir = path.join(dataDir, 'sessions', id);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, `${id}.json`), 'utf8')) as Record<string, unknown> & { metadata: { usage: Record<string, number> } };
  const doc = JSON.parse(fs.readFileSync(path.join(dir, `${id}.messages.json`), 'utf8')) as { sessionId: string; messages: Message[] };
  return { manifest, doc };
}

describe('the real Cline CLI against the scripted Chat Completions server', function () {
  this.timeout(2 * RUN_TIMEOUT_MS + 30_000);
  const scratch = scratchPerTest<ChatServer>('agent-meter-cline-e2e-');

  before(() => {
    findCline(); // fail at once, with the setup instruction, when the CLI is missing
  });

  /** A yolo run: create the file, read it back, submit. A plain run: create the file, then a text. */
  function script(workspace: string, yolo: boolean): ChatStep[] {
    const create: ChatStep = { kind: 'tool', name: 'run_commands', args: { commands: ['echo hi > hello.txt'] } };
    if (!yolo) return [create];
    return [
      create,
      { kind: 'tool', name: 'read_files', args: { files: [{ path: path.join(workspace, 'hello.txt') }] } },
      { kind: 'tool', name: 'submit_and_exit', args: { summary: 'Created hello.txt containing hi.', verified: true } },
    ];
  }

  async function runOnce(home: string, workspace: string, yolo: boolean) {
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(workspace, { recursive: true });
    await scratch.server?.close();
    // 8 requests: the scenario needs at most 3; a runaway loop stops at once (Cline retries a 429).
    scratch.server = await startChatServer({ steps: script(workspace, yolo), finalText: 'Created hello.txt.', maxRequests: 8 });
    const before = new Set(fs.existsSync(path.join(clineDataDirOf(home), 'sessions')) ? fs.readdirSync(path.join(clineDataDirOf(home), 'sessions')) : []);
    const run = await runCline({ cwd: workspace, home, serverUrl: scratch.server.url, prompt: 'Create hello.txt containing hi.', yolo });
    const context = `\nrequests:\n${describeRequests(scratch.server)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr.slice(-4000)}`;
    if (process.env.AGENT_METER_E2E_VERBOSE) console.log(context);
    assert.equal(run.timedOut, false, `the CLI hung${context}`);
    assert.equal(run.code, 0, `cline exited ${run.code}${context}`);
    // The group was killed on exit; a detached hub daemon would escape that and keep running here.
    let left = processesIn(scratch.root);
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = processesIn(scratch.root);
    }
    assert.deepEqual(left, [], 'no process (hub daemon, tool) outlives the run');
    const created = fs.readdirSync(path.join(clineDataDirOf(home), 'sessions')).filter((id) => !before.has(id));
    assert.equal(created.length, 1, `one session folder per run: ${created.join(', ')}`);
    return { run, context, sessionId: created[0], requests: [...scratch.server.requests] };
  }

  function scan(home: string) {
    const events: ActivityEvent[] = [];
    const engine = new Engine({
      env: { home, vars: { CLINE_DIR: path.join(home, '.cline') } },
      pricer: createPricer(),
      agents: ['cline'],
      wantActivity: () => true,
      onActivity: (e) => events.push(e),
    });
    const stats = engine.start();
    return { stats, sessions: engine.ledger.summaries((agent) => agent === 'cline'), events };
  }

  /** The session must hold exactly the usage replied to the loop, as clineSdkSource maps it. */
  function assertExact(s: SessionSummary, main: ChatRecordedRequest[]) {
    // Cline logs inputTokens = prompt_tokens (cached included) beside cacheReadTokens = cached; the
    // source takes the cached part out. outputTokens = completion_tokens, reasoning included: Cline
    // keeps no separate reasoning count, so the source reports none.
    assertChatUsage(s, main, 'not logged');
  }

  it('--yolo: run_commands, read_files, submit_and_exit — counted exactly from <id>.messages.json', async () => {
    const home = path.join(scratch.root, 'home');
    const workspace = path.join(scratch.root, 'workspace');
    const r = await runOnce(home, workspace, true);
    assert.equal(fs.readFileSync(path.join(workspace, 'hello.txt'), 'utf8').trim(), 'hi', 'the tool call ran');
    const main = r.requests.filter((q) => q.role === 'main');
    assert.equal(main.length, r.requests.length, `every request is a loop turn: no title or summary call${r.context}`);
    assert.deepEqual(main.map((m) => m.reply?.kind === 'tool' && m.reply.tool), ['run_commands', 'read_files', 'submit_and_exit'], r.context);
    assert.ok(main.every((m) => m.model === MODEL && m.stream && m.includeUsage), `streamed with usage${r.context}`);

    // Where and how it was stored.
    const data = clineDataDirOf(home);
    assert.match(r.sessionId, /^\d+_[a-z0-9]+$/);
    assert.equal(fs.existsSync(path.join(data, 'tasks')), false, 'no legacy tasks/ folder');
    assert.equal(fs.existsSync(path.join(data, 'locks')), false, 'no hub was started');
    const { manifest, doc } = readSession(data, r.sessionId);
    assert.equal(doc.sessionId, r.sessionId);
    assert.deepEqual([manifest.cwd, manifest.workspace_root, manifest.provider, manifest.model, manifest.status], [workspace, workspace, PROVIDER, MODEL, 'completed']);
    const withMetrics = doc.messages.filter((m) => m.role === 'assistant' && m.metrics);
    assert.deepEqual(
      withMetrics.map((m) => [m.metrics, m.modelInfo]),
      main.map((q) => [
        { inputTokens: q.usage!.prompt_tokens, outputTokens: q.usage!.completion_tokens, cacheReadTokens: q.usage!.prompt_tokens_details.cached_tokens, cacheWriteTokens: 0 },
        { id: MODEL, provider: PROVIDER },
      ]),
      'one assistant message per loop reply, in order, with that reply’s usage',
    );
    const t = sumChat(main);
    assert.deepEqual(manifest.metadata.usage, { inputTokens: t.prompt, outputTokens: t.completion, cacheReadTokens: t.cached, cacheWriteTokens: 0, totalCost: 0 }, 'the manifest totals agree');

    const { stats, sessions, events } = scan(home);
    assert.equal(stats.skips.length, 0, JSON.stringify(stats.skips));
    assert.equal(sessions.length, 1, 'one session per run');
    const s = sessions[0];
    assert.equal(s.sessionId, r.sessionId);
    assert.equal(s.cwd, workspace, 'the session cwd is the workspace (the manifest’s cwd)');
    assertExact(s, main);

    // Activity: each tool call under the call id the server minted, one context per request.
    const mine = events.filter((e) => e.sessionId === r.sessionId);
    assert.equal(mine.length, events.length, 'all activity under the session');
    assert.deepEqual(
      mine.filter((e) => e.kind === 'toolCall').map((e) => e.kind === 'toolCall' && [e.name, e.callId]),
      main.map((q) => q.reply?.kind === 'tool' && [q.reply.tool, q.reply.callId]),
    );
    assert.equal(mine.filter((e) => e.kind === 'toolError').length, 0);
    assert.equal(mine.filter((e) => e.kind === 'context').length, main.length);
    assert.ok(mine.some((e) => e.kind === 'session' && e.cwd === workspace), 'a session event with the workspace');
    // --yolo adds a user-role "[SYSTEM] This run is not complete until you call … submit_and_exit"
    // message (metadata.userRunSpan 0, which Cline itself counts as no user run) right after the
    // prompt: the typed prompt is the run's one user turn.
    const userTexts = doc.messages.filter((m) => m.role === 'user' && Array.isArray(m.content) && (m.content as Array<{ type?: string }>).every((b) => b.type === 'text'));
    assert.equal(userTexts.length, 2, 'the prompt and the completion reminder');
    assert.equal(userTexts[1].metadata?.userRunSpan, 0);
    const turns = mine.filter((e) => e.kind === 'userTurn').map((e) => e.timestamp);
    assert.deepEqual(turns, [userTexts[0].ts], 'the prompt, and not the reminder, is a user turn');
  });

  it('two runs in one data folder (--yolo, then plain act mode): two sessions, each counted exactly, none twice', async () => {
    const home = path.join(scratch.root, 'home');
    const a = path.join(scratch.root, 'workspace-a');
    const b = path.join(scratch.root, 'workspace-b');
    const first = await runOnce(home, a, true);
    const second = await runOnce(home, b, false);
    const secondMain = second.requests.filter((q) => q.role === 'main');
    assert.deepEqual(secondMain.map((m) => m.reply?.kind), ['tool', 'text'], `plain mode ends on a text reply${second.context}`);
    assert.equal(secondMain.length, second.requests.length, second.context);

    const { stats, sessions, events } = scan(home);
    assert.equal(stats.skips.length, 0, JSON.stringify(stats.skips));
    assert.equal(sessions.length, 2, `two sessions${second.context}`);
    const byCwd = new Map(sessions.map((s) => [s.cwd, s]));
    assert.deepEqual([...byCwd.keys()].sort(), [a, b].sort());
    assert.equal(byCwd.get(a)!.sessionId, first.sessionId);
    assert.equal(byCwd.get(b)!.sessionId, second.sessionId);
    assertExact(byCwd.get(a)!, first.requests.filter((q) => q.role === 'main'));
    assertExact(byCwd.get(b)!, secondMain);
    // Plain mode injects no reminder: the prompt is the run's one user turn.
    const turnsB = events.filter((e) => e.sessionId === second.sessionId && e.kind === 'userTurn');
    assert.equal(turnsB.length, 1, 'the prompt, and only it, is a user turn');
    assert.deepEqual(
      events.filter((e) => e.sessionId === second.sessionId && e.kind === 'toolCall').map((e) => e.kind === 'toolCall' && e.name),
      ['run_commands'],
    );
  });
});
