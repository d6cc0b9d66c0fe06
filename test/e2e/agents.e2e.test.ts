/**
 * End to end, part one: the real Claude Code and Codex CLIs run their real agent loop against the
 * scripted loopback model server and write real session logs whose usage equals, exactly, what the
 * server replied. These logs are what the extension reads; later suites point the extension at them.
 *
 * Needs scripts/setup/agents.sh (the CLIs); fails with that instruction when they are missing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type AgentRun, findAgents, runClaude, runCodex, scratchPerTest } from './agents';
import {
  startModelServer, sumAnthropic, sumOpenAI,
  type ModelServer, type RecordedRequest, type ScenarioName,
} from './modelServer';

/** 60 s per test: each CLI run takes about 1 s here (idle: 2 × 3 s of scripted delay). */
const TEST_TIMEOUT_MS = 60_000;

interface ClaudeAssistant {
  requestId?: string;
  message: {
    id: string;
    model: string;
    content: Array<{ type: string; name?: string; input?: unknown }>;
    usage: {
      input_tokens: number;
      cache_creation_input_tokens: number;
      cache_read_input_tokens: number;
      output_tokens: number;
      cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
    };
  };
}

interface CodexTokenUsage {
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
}

function readJsonl(file: string): Array<Record<string, unknown>> {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function claudeAssistants(file: string): ClaudeAssistant[] {
  return readJsonl(file).filter((r) => r.type === 'assistant') as unknown as ClaudeAssistant[];
}

/** Claude Code writes one assistant line per content block, each with the whole message's usage. */
function uniqueByMessageId(records: ClaudeAssistant[]): Map<string, ClaudeAssistant> {
  const out = new Map<string, ClaudeAssistant>();
  for (const r of records) if (!out.has(r.message.id)) out.set(r.message.id, r);
  return out;
}

function codexTokenCounts(file: string): Array<{ total: CodexTokenUsage; last: CodexTokenUsage }> {
  const out: Array<{ total: CodexTokenUsage; last: CodexTokenUsage }> = [];
  for (const r of readJsonl(file)) {
    const p = r.payload as { type?: string; info?: { total_token_usage: CodexTokenUsage; last_token_usage: CodexTokenUsage } | null } | undefined;
    if (r.type === 'event_msg' && p?.type === 'token_count' && p.info) {
      out.push({ total: p.info.total_token_usage, last: p.info.last_token_usage });
    }
  }
  return out;
}

const main = (s: ModelServer): RecordedRequest[] => s.requests.filter((r) => r.role === 'main');

describe('real agent CLIs against the scripted model server', function () {
  this.timeout(TEST_TIMEOUT_MS);
  const scratch = scratchPerTest<ModelServer>('agent-meter-e2e-');

  before(() => {
    findAgents(); // fail at once, with the setup instruction, when the CLIs are missing
  });

  async function claude(scenario: ScenarioName, prompt: string): Promise<{ run: AgentRun; workspace: string }> {
    scratch.server = await startModelServer({ scenario });
    const workspace = path.join(scratch.root, 'workspace');
    fs.mkdirSync(workspace);
    const run = await runClaude({ cwd: workspace, home: path.join(scratch.root, 'home'), serverUrl: scratch.server.url, prompt });
    assert.equal(run.timedOut, false, `claude timed out:\n${run.stderr}`);
    assert.equal(run.code, 0, `claude exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
    return { run, workspace };
  }

  async function codex(scenario: ScenarioName, prompt: string): Promise<{ run: AgentRun; workspace: string }> {
    scratch.server = await startModelServer({ scenario });
    const workspace = path.join(scratch.root, 'workspace');
    fs.mkdirSync(workspace);
    const run = await runCodex({ cwd: workspace, codexHome: path.join(scratch.root, 'codex'), serverUrl: scratch.server.url, prompt });
    assert.equal(run.timedOut, false, `codex timed out:\n${run.stderr}`);
    assert.equal(run.code, 0, `codex exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
    return { run, workspace };
  }

  /** Every main reply appears once in the transcript with exactly the usage the server sent. */
  function assertClaudeLogMatches(logFile: string, s: ModelServer): Map<string, ClaudeAssistant> {
    const byId = uniqueByMessageId(claudeAssistants(logFile));
    const replies = main(s);
    assert.deepEqual([...byId.keys()].sort(), replies.map((r) => r.messageId).sort());
    for (const r of replies) {
      const rec = byId.get(r.messageId!)!;
      const u = r.anthropicUsage!;
      assert.equal(rec.requestId, r.requestId, 'requestId comes from the request-id header');
      assert.equal(rec.message.model, r.model);
      assert.deepEqual(
        {
          input: rec.message.usage.input_tokens,
          cacheCreation: rec.message.usage.cache_creation_input_tokens,
          cacheRead: rec.message.usage.cache_read_input_tokens,
          output: rec.message.usage.output_tokens,
          split: rec.message.usage.cache_creation,
        },
        {
          input: u.input_tokens,
          cacheCreation: u.cache_creation_input_tokens,
          cacheRead: u.cache_read_input_tokens,
          output: u.output_tokens,
          split: u.cache_creation,
        },
        `usage of ${r.messageId}`,
      );
    }
    const logged = { input: 0, cacheCreation: 0, cacheRead: 0, output: 0, replies: byId.size };
    for (const rec of byId.values()) {
      logged.input += rec.message.usage.input_tokens;
      logged.cacheCreation += rec.message.usage.cache_creation_input_tokens;
      logged.cacheRead += rec.message.usage.cache_read_input_tokens;
      logged.output += rec.message.usage.output_tokens;
    }
    assert.deepEqual(logged, sumAnthropic(replies));
    return byId;
  }

  it('Claude Code, normal: runs the tool, writes a transcript whose usage equals the replies', async () => {
    const { run, workspace } = await claude('normal', 'Create hello.txt containing hi.');
    assert.equal(fs.readFileSync(path.join(workspace, 'hello.txt'), 'utf8'), 'hi\n');
    assert.equal(run.logFiles.length, 1, `log files: ${run.logFiles.join(', ')}`);
    const [log] = run.logFiles;
    assert.match(log, /\/home\/\.claude\/projects\/[^/]+\/[0-9a-f-]{36}\.jsonl$/);
    assert.equal(main(scratch.server!).length, 2, 'one tool call, one final answer');
    const byId = assertClaudeLogMatches(log, scratch.server!);
    // The tool-call reply has a text block and a tool_use block: two lines, one message id.
    assert.ok(claudeAssistants(log).length > byId.size, 'streamed duplicates are present');
    assert.equal(run.stdout.trim(), 'Done.');
  });

  it('Claude Code, runaway: 8 identical tool calls, each logged once with its own usage', async () => {
    const { run } = await claude('runaway', 'List the files.');
    assert.equal(main(scratch.server!).length, 9);
    const byId = assertClaudeLogMatches(run.logFiles[0], scratch.server!);
    const calls = [...byId.values()].flatMap((r) => r.message.content.filter((c) => c.type === 'tool_use'));
    assert.equal(calls.length, 8);
    assert.ok(calls.every((c) => c.name === 'Bash' && JSON.stringify(c.input) === JSON.stringify(calls[0].input)));
  });

  it('Claude Code, errorLoop: a failing command 6 times, then the final answer', async () => {
    const { run } = await claude('errorLoop', 'Show does-not-exist.txt.');
    assert.equal(main(scratch.server!).length, 7);
    assertClaudeLogMatches(run.logFiles[0], scratch.server!);
    // Only `user` lines: Claude Code 2.1.330 also copies each request into an `api-request-blob` line.
    const errors = readJsonl(run.logFiles[0]).filter(
      (r) => r.type === 'user' && JSON.stringify(r.message ?? '').includes('"is_error":true'),
    );
    assert.equal(errors.length, 6, 'six failed tool results');
  });

  it('Claude Code, largeContext: logs input above 200k tokens per reply', async () => {
    const { run } = await claude('largeContext', 'Create hello.txt containing hi.');
    const byId = assertClaudeLogMatches(run.logFiles[0], scratch.server!);
    for (const rec of byId.values()) {
      const u = rec.message.usage;
      assert.ok(u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens > 200_000);
    }
  });

  it('Codex, normal: runs the tool, writes a rollout whose token_count events equal the replies', async () => {
    const { run, workspace } = await codex('normal', 'Create hello.txt containing hi.');
    assert.equal(fs.readFileSync(path.join(workspace, 'hello.txt'), 'utf8'), 'hi\n');
    assert.equal(run.logFiles.length, 1, `log files: ${run.logFiles.join(', ')}`);
    const [log] = run.logFiles;
    assert.match(log, /\/codex\/sessions\/\d{4}\/\d{2}\/\d{2}\/rollout-[^/]+\.jsonl$/);
    const replies = main(scratch.server!);
    assert.equal(replies.length, 2);
    assert.equal(replies[0].reply?.kind, 'tool');
    assertCodexLogMatches(log, replies);
  });

  it('Codex, runaway: 8 identical tool calls, one token_count per reply', async () => {
    const { run } = await codex('runaway', 'List the files.');
    const replies = main(scratch.server!);
    assert.equal(replies.length, 9);
    assertCodexLogMatches(run.logFiles[0], replies);
  });

  it('the maxRequests bound ends an endless tool loop with a final answer', async () => {
    scratch.server = await startModelServer({
      scenario: { name: 'endless', steps: Array.from({ length: 1000 }, () => ({ kind: 'tool' as const, command: 'true' })) },
      maxRequests: 5,
    });
    const workspace = path.join(scratch.root, 'workspace');
    fs.mkdirSync(workspace);
    const run = await runClaude({ cwd: workspace, home: path.join(scratch.root, 'home'), serverUrl: scratch.server.url, prompt: 'Loop.' });
    assert.equal(run.code, 0, run.stderr);
    const replies = main(scratch.server);
    assert.equal(replies.length, 6, '5 tool calls, then the bound forces a final answer');
    assert.deepEqual(replies.map((r) => r.reply?.kind), ['tool', 'tool', 'tool', 'tool', 'tool', 'text']);
  });

  it('Claude Code, idle: the scripted delay shows as a gap between replies', async () => {
    const { run } = await claude('idle', 'Create hello.txt containing hi.');
    assertClaudeLogMatches(run.logFiles[0], scratch.server!);
    assert.ok(run.durationMs >= 2 * 3000, `took ${run.durationMs} ms`);
  });
});

/** The last token_count's running total equals the sum of replies; each reply appears as a `last`. */
function assertCodexLogMatches(log: string, replies: RecordedRequest[]): void {
  const counts = codexTokenCounts(log);
  assert.ok(counts.length >= replies.length, `${counts.length} token_count events for ${replies.length} replies`);
  const toCodex = (u: NonNullable<RecordedRequest['openaiUsage']>) => ({
    input_tokens: u.input_tokens,
    cached_input_tokens: u.input_tokens_details.cached_tokens,
    output_tokens: u.output_tokens,
    reasoning_output_tokens: u.output_tokens_details.reasoning_tokens,
    total_tokens: u.total_tokens,
  });
  const pick = (u: CodexTokenUsage) => ({
    input_tokens: u.input_tokens,
    cached_input_tokens: u.cached_input_tokens,
    output_tokens: u.output_tokens,
    reasoning_output_tokens: u.reasoning_output_tokens,
    total_tokens: u.total_tokens,
  });
  // Codex may re-emit a token_count with an unchanged total; count each total once.
  const distinct = counts.filter((c, i) => i === 0 || JSON.stringify(c.total) !== JSON.stringify(counts[i - 1].total));
  assert.deepEqual(distinct.map((c) => pick(c.last)), replies.map((r) => toCodex(r.openaiUsage!)));
  const t = sumOpenAI(replies);
  assert.deepEqual(pick(counts[counts.length - 1].total), {
    input_tokens: t.input,
    cached_input_tokens: t.cached,
    output_tokens: t.output,
    reasoning_output_tokens: t.reasoning,
    total_tokens: t.total,
  });
}
