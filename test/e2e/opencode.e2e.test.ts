/**
 * End to end: the real OpenCode CLI (`opencode-ai`, installed by scripts/setup/opencode.sh) runs
 * its agent loop against the scripted loopback Chat Completions server (./chatServer) in a scratch
 * home and workspace, and Agent Meter's engine, reading the database OpenCode wrote, must count
 * exactly the usage the server replied to the agent loop.
 *
 * How the CLI is pointed at the server (opencode-ai 1.18.33):
 * - `$XDG_CONFIG_HOME/opencode/opencode.json`: a custom provider `scripted` using
 *   `@ai-sdk/openai-compatible` with `options.baseURL = <server>/v1`, one model, which is both
 *   `model` and `small_model` (so the title call comes here too), `permission` allowing bash and
 *   edits, autoupdate and sharing off;
 * - HOME and every XDG_* folder in the scratch home; `opencode run "<prompt>"` is headless.
 * At start OpenCode installs `@opencode-ai/plugin` into its config folder with npm (the npm
 * registry only); nothing else leaves the machine.
 *
 * What OpenCode 1.18.33 writes: `$XDG_DATA_HOME/opencode/opencode.db` (SQLite, WAL mode; after a
 * run the rows are all still in `opencode.db-wal`, the main file being a bare header page), no
 * `storage/` JSON files. One assistant message per loop turn, each with one `step-finish` part
 * whose `tokens` are `{ total: prompt + completion, input: prompt − cached, output: completion −
 * reasoning, reasoning, cache: { read: cached, write: 0 } }`.
 *
 * Needs scripts/setup/opencode.sh; fails with that instruction when the CLI is missing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/core/engine';
import { createPricer } from '../../src/core/pricing/pricer';
import { opencodeDbSource } from '../../src/core/sources/opencode/opencodeSource';
import type { UsageRecord } from '../../src/core/sources/types';
import { baseEnv, findCachedCli, scratchPerTest, spawnBounded } from './agents';
import { assertChatUsage, type ChatRecordedRequest, type ChatServer, startChatServer } from './chatServer';
import type { SessionSummary } from '../../src/core/ledger/ledger';

const PROVIDER = 'scripted';
const MODEL = 'scripted-model';
/** 90 s per CLI run: a scripted task finishes in about 5 s; the bound only stops a hung CLI. */
const RUN_TIMEOUT_MS = 90_000;

/** The installed CLI (scripts/setup/opencode.sh), or an error that says to run that script. */
export function findOpencode(env: NodeJS.ProcessEnv = process.env): string {
  return findCachedCli('opencode', env);
}

/** The scratch home's XDG folders (OpenCode's data, config, state and cache all follow them). */
export function xdgOf(home: string) {
  return {
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
  };
}

/** `opencode.json`: one OpenAI-compatible provider on the loopback server, tools allowed. */
export function opencodeConfig(serverUrl: string): Record<string, unknown> {
  return {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    model: `${PROVIDER}/${MODEL}`,
    small_model: `${PROVIDER}/${MODEL}`,
    permission: { edit: 'allow', bash: 'allow', webfetch: 'deny' },
    provider: {
      [PROVIDER]: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Scripted',
        options: { baseURL: `${serverUrl}/v1`, apiKey: 'dummy' },
        models: { [MODEL]: { name: 'Scripted model', tool_call: true } },
      },
    },
  };
}

export async function runOpencode(o: { cwd: string; home: string; serverUrl: string; prompt: string; timeoutMs?: number }) {
  const opencode = findOpencode();
  const xdg = xdgOf(o.home);
  const configDir = path.join(xdg.XDG_CONFIG_HOME, 'opencode');
  fs.mkdirSync(configDir, { recursive: true });
  fs.writeFileSync(path.join(configDir, 'opencode.json'), JSON.stringify(opencodeConfig(o.serverUrl), null, 2));
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(o.home),
    ...xdg,
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
  };
  return spawnBounded(opencode, ['run', '--print-logs', '--log-level', 'INFO', o.prompt], o.cwd, env, o.timeoutMs ?? RUN_TIMEOUT_MS);
}

function describeRequests(s: ChatServer): string {
  return s.requests.map((r) => `#${r.index} ${r.method} ${r.path} [${r.role}] ${r.reply?.kind === 'tool' ? `→ ${r.reply.tool}` : r.reply ? '→ text' : ''} ${JSON.stringify(r.usage)}`).join('\n');
}

/** What the db source alone reads from `<data>/opencode/opencode.db-wal` (the database with its log). */
function readDb(dataDir: string, file: string): UsageRecord[] {
  const records: UsageRecord[] = [];
  const parser = opencodeDbSource.createParser(path.join(dataDir, file), { usage: (r) => records.push(r), skip: (s) => assert.fail(JSON.stringify(s)) }, { activity: false });
  const buf = fs.readFileSync(path.join(dataDir, file));
  assert.equal(parser.parse(buf, buf.length, 0), buf.length, `${file} read as a database`);
  return records;
}

describe('the real OpenCode CLI against the scripted Chat Completions server', function () {
  this.timeout(2 * RUN_TIMEOUT_MS + 30_000);
  const scratch = scratchPerTest<ChatServer>('agent-meter-opencode-e2e-');

  before(() => {
    findOpencode(); // fail at once, with the setup instruction, when the CLI is missing
  });

  async function runOnce(home: string, workspace: string, prompt: string) {
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(workspace, { recursive: true });
    await scratch.server?.close();
    scratch.server = await startChatServer({
      steps: [{ kind: 'tool', name: 'bash', args: { command: 'echo hi > hello.txt', description: 'Create hello.txt' } }],
      finalText: 'Created hello.txt.',
    });
    const run = await runOpencode({ cwd: workspace, home, serverUrl: scratch.server.url, prompt });
    const context = `\nrequests:\n${describeRequests(scratch.server)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr.slice(-4000)}`;
    if (process.env.AGENT_METER_E2E_VERBOSE) console.log(context);
    assert.equal(run.timedOut, false, `the CLI hung${context}`);
    assert.equal(run.code, 0, `opencode exited ${run.code}${context}`);
    return { run, context, requests: [...scratch.server.requests] };
  }

  function scan(home: string) {
    const engine = new Engine({ env: { home, vars: { XDG_DATA_HOME: xdgOf(home).XDG_DATA_HOME } }, pricer: createPricer() });
    const stats = engine.start();
    return { stats, sessions: engine.ledger.summaries((agent) => agent === 'opencode') };
  }

  /** The session must hold exactly the usage replied to the loop, as opencodeSource maps it. */
  function assertExact(s: SessionSummary, main: ChatRecordedRequest[]) {
    // OpenCode logs input = prompt − cached and output = completion − reasoning beside reasoning;
    // the source adds reasoning back to output (billed at the output rate), so output = completion.
    assertChatUsage(s, main, 'logged');
  }

  it('one bash tool call that creates a file, then a final text — counted exactly from opencode.db', async () => {
    const home = path.join(scratch.root, 'home');
    const workspace = path.join(scratch.root, 'workspace');
    const r = await runOnce(home, workspace, 'Create hello.txt containing hi.');
    assert.equal(fs.readFileSync(path.join(workspace, 'hello.txt'), 'utf8').trim(), 'hi', 'the tool call ran');
    const main = r.requests.filter((q) => q.role === 'main');
    const side = r.requests.filter((q) => q.role === 'side');
    assert.deepEqual(main.map((m) => m.reply?.kind), ['tool', 'text'], r.context);
    assert.ok(main.every((m) => m.stream && m.includeUsage && m.tools.includes('bash')), `streamed with usage, bash offered${r.context}`);
    // The title call (small_model, no tools) is billed but never logged: a blind spot of any log reader.
    assert.ok(side.length >= 1 && side.every((q) => q.tools.length === 0), `a title call was made${r.context}`);

    // Where and how it was stored: SQLite only, the rows still in the write-ahead log.
    const data = path.join(xdgOf(home).XDG_DATA_HOME, 'opencode');
    assert.ok(fs.existsSync(path.join(data, 'opencode.db')), 'opencode.db written');
    assert.ok(fs.existsSync(path.join(data, 'opencode.db-wal')), 'opencode.db-wal written');
    assert.equal(fs.existsSync(path.join(data, 'storage', 'message')), false, 'no JSON message files');
    const fromWal = readDb(data, 'opencode.db-wal');
    const fromDb = readDb(data, 'opencode.db');
    assert.deepEqual(fromDb.map((x) => x.key), fromWal.map((x) => x.key), 'the database and its log read alike');
    assert.deepEqual(
      fromWal.map((x) => [x.inputTokens, x.outputTokens, x.cacheReadTokens, x.reasoningOutputTokens]),
      main.map((q) => [q.usage!.prompt_tokens - q.usage!.prompt_tokens_details.cached_tokens, q.usage!.completion_tokens, q.usage!.prompt_tokens_details.cached_tokens, q.usage!.completion_tokens_details.reasoning_tokens]),
      'one record per loop reply, in order',
    );

    const { stats, sessions } = scan(home);
    assert.equal(stats.skips.length, 0, JSON.stringify(stats.skips));
    assert.equal(sessions.length, 1, 'one session per run');
    const s = sessions[0];
    assert.match(s.sessionId, /^ses_/);
    assert.equal(s.cwd, workspace, 'the session cwd is the workspace (session.directory)');
    assertExact(s, main);
    if (process.env.AGENT_METER_E2E_VERBOSE) console.log('title call(s) not in the log:', side.map((q) => q.usage));
  });

  it('two runs in one data folder: two sessions, each counted exactly, none twice', async () => {
    const home = path.join(scratch.root, 'home');
    const a = path.join(scratch.root, 'workspace-a');
    const b = path.join(scratch.root, 'workspace-b');
    const first = await runOnce(home, a, 'Create hello.txt containing hi.');
    const second = await runOnce(home, b, 'Create hello.txt containing hi.');
    const { stats, sessions } = scan(home);
    assert.equal(stats.skips.length, 0, JSON.stringify(stats.skips));
    assert.equal(sessions.length, 2, `two sessions${second.context}`);
    const byCwd = new Map(sessions.map((s) => [s.cwd, s]));
    assert.deepEqual([...byCwd.keys()].sort(), [a, b].sort());
    assertExact(byCwd.get(a)!, first.requests.filter((q) => q.role === 'main'));
    assertExact(byCwd.get(b)!, second.requests.filter((q) => q.role === 'main'));
  });
});
