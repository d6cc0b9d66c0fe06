/**
 * End to end: the real Gemini CLI (`@google/gemini-cli`, installed by scripts/setup/gemini.sh)
 * runs its agent loop against the scripted loopback Gemini API server (./geminiServer) in a
 * scratch home and workspace, and Agent Meter's engine, reading the chat log the CLI wrote, must
 * count exactly the usage the server replied to the agent loop.
 *
 * How the CLI is pointed at the server, without any Google login (gemini-cli 0.61.0):
 * - `GEMINI_API_KEY=dummy` and `GOOGLE_GEMINI_BASE_URL=<server>`: the @google/genai client takes
 *   the base URL from that variable and calls `<base>/v1beta/models/<model>:<rpc>`;
 * - `security.auth.selectedType: "gemini-api-key"` in `<home>/.gemini/settings.json`: with only
 *   the variables, the CLI picks the "gateway" auth type, which `-p` mode rejects ("Invalid auth
 *   method selected.");
 * - `security.folderTrust.enabled: false`: otherwise an untrusted folder turns `--yolo` back into
 *   the default approval mode and the tool calls are refused headless;
 * - `GEMINI_CLI_HOME=<home>` (the CLI's `homedir()`; logs land in `<home>/.gemini/tmp/<slug>/chats`),
 *   `GEMINI_CLI_NO_RELAUNCH=true` (no child Node process), telemetry, usage statistics and
 *   auto-update off in settings.
 *
 * Needs scripts/setup/gemini.sh; fails with that instruction when the CLI is missing.
 */
import * as assert from 'node:assert/strict';
import { type AgentRun, baseEnv, findCachedCli, scratchPerTest, spawnBounded } from './agents';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { createPricer } from '../../src/core/pricing/pricer';
import type { ActivityEvent } from '../../src/core/sources/types';
import {
  startGeminiServer, sumGemini,
  type GeminiRecordedRequest, type GeminiScenarioName, type GeminiServer, type GeminiUsage,
} from './geminiServer';

/** The model the CLI is told to use; the router's classifier side call still runs (see below). */
const MODEL = 'gemini-2.5-pro';
/** 60 s per CLI run: a scripted task finishes in a few seconds; the bound only stops a hung CLI. */
const RUN_TIMEOUT_MS = 60_000;
/** gemini-cli's TOOL_CALL_LOOP_THRESHOLD: the 5th identical call in a row is a loop. */
const LOOP_THRESHOLD = 5;

/** The installed CLI (scripts/setup/gemini.sh), or an error that says to run that script. */
export function findGemini(env: NodeJS.ProcessEnv = process.env): string {
  return findCachedCli('gemini', env);
}

export interface GeminiRunOptions {
  cwd: string;
  /** Scratch home: HOME and GEMINI_CLI_HOME both. */
  home: string;
  serverUrl: string;
  prompt: string;
  /** `--model`; null leaves the CLI on its default "auto" routing. */
  model?: string | null;
  timeoutMs?: number;
}

/** Settings that keep the CLI on the loopback server, headless and quiet. */
export function geminiSettings(): Record<string, unknown> {
  return {
    security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    ide: { enabled: false },
  };
}

export async function runGemini(o: GeminiRunOptions): Promise<AgentRun> {
  const gemini = findGemini();
  const dotGemini = path.join(o.home, '.gemini');
  fs.mkdirSync(dotGemini, { recursive: true });
  fs.writeFileSync(path.join(dotGemini, 'settings.json'), JSON.stringify(geminiSettings(), null, 2));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(o.home),
    GEMINI_CLI_HOME: o.home,
    GEMINI_API_KEY: 'dummy',
    GOOGLE_GEMINI_BASE_URL: o.serverUrl,
    GEMINI_CLI_NO_RELAUNCH: 'true',
    GEMINI_TELEMETRY_ENABLED: 'false',
  };
  const model = o.model === undefined ? MODEL : o.model;
  const args = ['-p', o.prompt, '--yolo', ...(model ? ['--model', model] : [])];
  const run = await spawnBounded(gemini, args, o.cwd, env, o.timeoutMs ?? RUN_TIMEOUT_MS);
  return { ...run, logFiles: listFiles(path.join(dotGemini, 'tmp'), (f) => /\.jsonl?$/.test(f) && f.includes(`${path.sep}chats${path.sep}`)) };
}


function listFiles(dir: string, keep: (file: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 6) return;
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (keep(p)) out.push(p);
    }
  };
  walk(dir, 0);
  return out.sort();
}

function readJsonl(file: string): Array<Record<string, unknown>> {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The last copy of each `gemini` message in a chat log (messages are re-appended as they change). */
function geminiMessages(file: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of readJsonl(file)) if (typeof r.id === 'string' && r.type === 'gemini') out.set(r.id, r);
  return out;
}

const byRole = (s: GeminiServer, role: GeminiRecordedRequest['role']) => s.requests.filter((r) => r.role === role);

function describeRequests(s: GeminiServer): string {
  return s.requests.map((r) => `#${r.index} ${r.method} ${r.path}${r.query ? `?${r.query}` : ''} [${r.role}] ${r.reply?.kind === 'tool' ? `→ ${r.reply.tool}` : r.reply ? '→ text' : ''}`).join('\n');
}

describe('the real Gemini CLI against the scripted Gemini API server', function () {
  this.timeout(RUN_TIMEOUT_MS + 30_000);
  const scratch = scratchPerTest<GeminiServer>('agent-meter-gemini-e2e-');

  before(() => {
    findGemini(); // fail at once, with the setup instruction, when the CLI is missing
  });

  async function runScenario(scenario: GeminiScenarioName, prompt: string, model?: string | null) {
    const home = path.join(scratch.root, 'home');
    const workspace = path.join(scratch.root, 'workspace');
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(workspace, { recursive: true });
    scratch.server = await startGeminiServer({ scenario });
    const run = await runGemini({ cwd: workspace, home, serverUrl: scratch.server.url, prompt, model });
    const context = `\nrequests:\n${describeRequests(scratch.server)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr.slice(-4000)}`;
    if (process.env.AGENT_METER_E2E_VERBOSE) console.log(context, '\nlogs:', run.logFiles);
    assert.equal(run.timedOut, false, `the CLI hung${context}`);
    assert.equal(run.code, 0, `gemini exited ${run.code}${context}`);

    const events: ActivityEvent[] = [];
    const engine = new Engine({
      env: { home, vars: { GEMINI_CLI_HOME: home } },
      pricer: createPricer(),
      wantActivity: () => true,
      onActivity: (e) => events.push(e),
    });
    const stats = engine.start();
    const sessions = engine.ledger.summaries((agent) => agent === 'gemini-cli');
    return { home, workspace, run, engine, stats, sessions, events: events.filter((e) => e.agent === 'gemini-cli'), context };
  }

  /** The engine's session must hold exactly the usage the server replied to the agent loop. */
  function assertExact(s: ReturnType<typeof Engine.prototype.ledger.summaries>[number], main: GeminiRecordedRequest[], model = MODEL) {
    const t = sumGemini(main);
    // As geminiSource documents: input = prompt − cached + tool-use prompt; output = candidates +
    // thoughts (billed at the output rate); cache read = cached; reasoning = thoughts.
    assert.deepEqual(
      {
        input: s.inputTokens, output: s.outputTokens, cacheRead: s.cacheReadTokens, cacheWrite: s.cacheCreationTokens,
        reasoning: s.reasoningOutputTokens, total: s.totalTokens, requests: s.requests,
      },
      {
        input: t.prompt - t.cached + t.tool, output: t.candidates + t.thoughts, cacheRead: t.cached, cacheWrite: 0,
        reasoning: t.thoughts, total: t.total, requests: t.replies,
      },
    );
    assert.deepEqual(s.models, [model]);
    if (model === MODEL) assert.ok(s.costUSD !== null && s.costUSD > 0, `${MODEL} is priced`);
  }

  it('normal: one shell tool call that creates a file, then a final text — counted exactly', async () => {
    const r = await runScenario('normal', 'Create hello.txt containing hi.');
    assert.equal(fs.readFileSync(path.join(r.workspace, 'hello.txt'), 'utf8').trim(), 'hi', 'the tool call ran');
    const main = byRole(scratch.server!, 'main');
    assert.deepEqual(main.map((m) => m.reply?.kind), ['tool', 'text'], r.context);
    assert.equal(r.run.logFiles.length, 1, `one chat log: ${r.run.logFiles.join(', ')}`);
    assert.match(r.run.logFiles[0], /[\\/]\.gemini[\\/]tmp[\\/]workspace[\\/]chats[\\/]session-[^\\/]+\.jsonl$/);

    // The log itself: one gemini message per main reply, carrying that reply's usageMetadata.
    const logged = [...geminiMessages(r.run.logFiles[0]).values()];
    assert.deepEqual(
      logged.map((m) => m.tokens),
      main.map((q) => ({
        input: q.usage!.promptTokenCount, output: q.usage!.candidatesTokenCount, cached: q.usage!.cachedContentTokenCount,
        thoughts: q.usage!.thoughtsTokenCount, tool: q.usage!.toolUsePromptTokenCount, total: q.usage!.totalTokenCount,
      })),
    );

    assert.equal(r.stats.skips.length, 0, JSON.stringify(r.stats.skips));
    assert.equal(r.sessions.length, 1, 'one session per run');
    const s = r.sessions[0];
    assert.equal(s.cwd, r.workspace, 'the session cwd is the workspace (from <slug>/.project_root)');
    assertExact(s, main);

    const tools = r.events.filter((e) => e.kind === 'toolCall');
    assert.deepEqual(tools.map((e) => e.kind === 'toolCall' && e.name), ['run_shell_command']);
    assert.ok(r.events.some((e) => e.kind === 'session' && e.cwd === r.workspace), 'a session event with the workspace');
    // The tool result is logged as a `user` message too; only the typed prompt is a turn.
    assert.equal(r.events.filter((e) => e.kind === 'userTurn').length, 1, 'the prompt, and only it, is a user turn');
    assert.ok(r.events.every((e) => e.sessionId === s.sessionId), 'all activity under the session');
  });

  it('runaway: the same shell call repeated until the CLI detects a loop — every logged turn counted, the blind spot measured', async () => {
    const r = await runScenario('runaway', 'List the files, again and again.');
    const main = byRole(scratch.server!, 'main');
    assert.ok(main.every((m) => m.reply?.kind === 'tool'), `every loop turn was answered with the call${r.context}`);
    assert.equal(r.run.logFiles.length, 1, `one chat log: ${r.run.logFiles.join(', ')}`);
    assert.equal(r.stats.skips.length, 0, JSON.stringify(r.stats.skips));
    assert.equal(r.sessions.length, 1, 'one session per run');
    assert.equal(r.sessions[0].cwd, r.workspace);

    // gemini-cli 0.61.0's loop detection (5 identical calls in a row) breaks out of the 5th reply's
    // stream before it records the reply, injects "System: Potential loop detected…" as a user
    // message, and on the next identical call stops the run: those two replies were streamed in
    // full (billed by a real provider) but never reach the chat log, so no log reader can count
    // them. Which replies were logged is read off the log: each reply's usage is unique.
    const logged = geminiMessages(r.run.logFiles[0]);
    const key = (u: GeminiUsage) => [u.promptTokenCount, u.candidatesTokenCount, u.cachedContentTokenCount, u.thoughtsTokenCount, u.toolUsePromptTokenCount, u.totalTokenCount].join(',');
    const loggedKeys = new Set([...logged.values()].map((m) => {
      const t = m.tokens as Record<string, number>;
      return [t.input, t.output, t.cached, t.thoughts, t.tool, t.total].join(',');
    }));
    const inLog = main.filter((q) => loggedKeys.has(key(q.usage!)));
    const notInLog = main.filter((q) => !loggedKeys.has(key(q.usage!)));
    assert.equal(inLog.length, logged.size, 'every logged message is one of the replies');
    assert.deepEqual(inLog.map((q) => q.index), main.slice(0, LOOP_THRESHOLD - 1).map((q) => q.index), `the first ${LOOP_THRESHOLD - 1} replies are logged${r.context}`);
    assert.equal(notInLog.length, 2, `the loop-detected reply and the one after the feedback are missing${r.context}`);
    assertExact(r.sessions[0], inLog);
    const missed = sumGemini(notInLog);
    assert.equal(sumGemini(main).total - r.sessions[0].totalTokens, missed.total, 'the meter is short by exactly the unlogged replies');

    const tools = r.events.filter((e): e is Extract<ActivityEvent, { kind: 'toolCall' }> => e.kind === 'toolCall');
    const loggedCalls = [...logged.values()].flatMap((m) => (Array.isArray(m.toolCalls) ? m.toolCalls as Array<{ name: string }> : []));
    assert.equal(loggedCalls.length, LOOP_THRESHOLD - 1);
    assert.equal(tools.length, loggedCalls.length, 'every logged tool call is an activity event');
    assert.ok(tools.every((t) => t.name === 'run_shell_command'));
    assert.equal(new Set(tools.map((t) => t.argsHash)).size, 1, 'the repeated calls hash equal');
    assert.equal(new Set(tools.map((t) => t.callId)).size, tools.length, 'each call has its own id');
    // The prompt and the CLI's own loop feedback (a text `user` message the log cannot tell from a
    // typed one); the tool results in between are not turns.
    assert.equal(r.events.filter((e) => e.kind === 'userTurn').length, 2);
    const lastTurn = Math.max(...r.events.filter((e) => e.kind === 'userTurn').map((e) => e.timestamp));
    assert.ok(tools.every((t) => t.timestamp <= lastTurn), 'the logged calls all precede the loop feedback');
  });

  it("auto routing (no --model): the router's classifier call is billed but never logged", async () => {
    const r = await runScenario('normal', 'Create hello.txt containing hi.', null);
    const main = byRole(scratch.server!, 'main');
    const side = byRole(scratch.server!, 'side');
    assert.deepEqual(main.map((m) => m.reply?.kind), ['tool', 'text'], r.context);
    // Before the first loop turn of a prompt, gemini-cli's model router asks a small model (a
    // non-streamed generateContent with a JSON schema) how complex the request is.
    assert.ok(side.length >= 1, `a classifier call was made${r.context}`);
    assert.ok(side.every((q) => q.rpc === 'generateContent' && q.tools.length === 0), r.context);
    assert.equal(r.sessions.length, 1);
    const models = [...new Set(main.map((q) => q.model!))];
    assert.equal(models.length, 1, 'the loop ran on one routed model');
    assertExact(r.sessions[0], main, models[0]);
    const logged = [...geminiMessages(r.run.logFiles[0]).values()];
    assert.equal(logged.length, main.length, 'only the loop replies are in the log');
    if (process.env.AGENT_METER_E2E_VERBOSE) {
      console.log('routed to', models[0], '; side calls:', side.map((q) => `${q.model}:${q.rpc} total=${q.usage?.totalTokenCount}`));
    }
  });
});
