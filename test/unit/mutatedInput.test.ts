import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claudeSource } from '../../src/core/sources/claude/claudeSource';
import { clineSdkSource } from '../../src/core/sources/cline/clineSdkSource';
import { clineSource } from '../../src/core/sources/cline/clineSource';
import { codexSource } from '../../src/core/sources/codex/codexSource';
import { copilotWorkspaceSource } from '../../src/core/sources/copilot/copilotSource';
import { geminiDocumentSource, geminiLogSource } from '../../src/core/sources/gemini/geminiSource';
import { opencodeDbSource, opencodeStorageSource } from '../../src/core/sources/opencode/opencodeSource';
import type { AgentSource } from '../../src/core/sources/source';
import type { ParseSink } from '../../src/core/sources/types';
import { generate } from '../gen/generator';
import { clineRequest, clineSay, geminiDocument, geminiLog, geminiMessage, geminiUser } from './helpers/agents';
import { copilotRequest, copilotSession, mutationLog, toolCallRound } from './helpers/copilotFixtures';
import { opencodeAssistant, opencodeDatabase, opencodeSession, opencodeStepFinish } from './helpers/opencodeFixtures';

/**
 * Bad input never stops a scan: every parser, fed seeded mutations of real-shaped logs (cut, or
 * cut and closed, bytes overwritten with quotes, brackets, backslashes, NULs and newlines, ranges
 * dropped or repeated), in buffers that end exactly where the input ends, returns without throwing and
 * consumes only whole lines (line sources) or all or nothing (documents).
 */

/** xorshift32: the same cases on every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const NASTY = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c, 0x00, 0x0a, 0x30, 0x2d, 0x65, 0xff, 0xc3];

function mutate(input: Buffer, random: () => number): Buffer {
  let b = Buffer.from(input);
  const at = () => Math.floor(random() * Math.max(1, b.length));
  for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
    const kind = Math.floor(random() * 6);
    if (kind === 0) b = b.subarray(0, at());
    else if (kind === 1 && b.length > 0) b[at()] = NASTY[Math.floor(random() * NASTY.length)];
    else if (kind === 2) {
      const from = at();
      b = Buffer.concat([b.subarray(0, from), b.subarray(Math.min(b.length, from + 1 + Math.floor(random() * 64)))]);
    } else if (kind === 3) {
      const from = at();
      const to = Math.min(b.length, from + 1 + Math.floor(random() * 64));
      b = Buffer.concat([b.subarray(0, to), b.subarray(from, to), b.subarray(to)]);
    } else if (kind === 4) {
      b = Buffer.concat([b.subarray(0, at()), Buffer.from('\n'), b.subarray(at())]);
    } else {
      // Cut short and closed: a complete line that ends early, at the very end of the buffer.
      b = Buffer.concat([b.subarray(0, at()), Buffer.from(random() < 0.5 ? '"}\n' : '}\n')]);
    }
  }
  return b;
}

interface Case {
  readonly source: AgentSource;
  readonly file: string;
  /** Whole documents (document sources) or groups of lines (line sources). */
  readonly inputs: Buffer[];
}

function parseAll(source: AgentSource, file: string, input: Buffer, activity: boolean, counts = { records: 0 }): number {
  const sink: ParseSink = { usage: () => counts.records++, activity: () => undefined, skip: () => undefined };
  // An exact-size copy: a parser that reads past the input fails here, not by luck later.
  const buf = Buffer.from(input);
  return source.createParser(file, sink, { activity }).parse(buf, buf.length, 0);
}

describe('mutated input', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-meter-mutated-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const lineGroups = (root: string): Buffer[] => {
    const out: Buffer[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else {
          const lines = fs.readFileSync(p, 'utf8').split('\n').filter(Boolean);
          for (let i = 0; i < lines.length; i += 3) out.push(Buffer.from(`${lines.slice(i, i + 3).join('\n')}\n`));
        }
      }
    };
    walk(root);
    return out;
  };

  const cases = (): Case[] => {
    generate({ outDir: dir, seed: 7, claudeBytes: 400_000, codexBytes: 200_000, sessions: { medianBytes: 40_000, maxBytes: 120_000 } });
    const gemini = [geminiUser('u1', '2026-06-05T04:59:42.197Z'), geminiMessage({ id: 'm1', ts: '2026-06-05T04:59:44.839Z', model: 'gemini-2.5-flash', tokens: { input: 4383, output: 8, cached: 4000, thoughts: 28, tool: 10 }, toolCalls: [{ id: 'c1', name: 'read_file', args: { file_path: 'a' }, status: 'error', timestamp: '2026-06-05T04:59:44.839Z' }] })];
    const cline = [clineSay(1000, 'task', 'Fix the bug'), clineRequest(2000, { tokensIn: 120, tokensOut: 40, cacheReads: 1000, cacheWrites: 50, cost: 0.01 }, { providerId: 'anthropic', modelId: 'claude-sonnet-4-5' }), clineSay(3000, 'error', 'boom')];
    const copilot = copilotSession('s1', [copilotRequest({ id: 'r1', ts: 1763600000000, text: 'hi', modelId: 'copilot/claude-sonnet-4', metadata: { promptTokens: 900, outputTokens: 30, toolCallRounds: [toolCallRound({ id: 'k1', toolCalls: [{ id: 't1', name: 'read', arguments: '{"a":1}' }], usage: { prompt: 500, completion: 10, cached: 100 } })] } })]);
    const sdkSession = '019d0000-0000-7000-8000-000000000001';
    const sdk = {
      version: 1,
      updated_at: '2026-07-15T05:42:10.000Z',
      agent: 'lead',
      sessionId: sdkSession,
      messages: [
        { id: 'u1', role: 'user', content: [{ type: 'text', text: 'do it' }] },
        { id: 'a1', role: 'assistant', ts: 1_784_000_000_000, modelInfo: { id: 'claude-sonnet-4-5', provider: 'anthropic' }, metrics: { inputTokens: 1200, outputTokens: 40, cacheReadTokens: 1000, cacheWriteTokens: 100 }, content: [{ type: 'text', text: 'ok' }, { type: 'tool_use', id: 't1', name: 'run', input: { cmd: 'ls' } }] },
        { id: 'r1', role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'boom' }], is_error: true }] },
      ],
    };
    const storageMessage = opencodeAssistant({ id: 'msg_1', sessionID: 'ses_1', created: 1_763_600_000_000, tokens: { input: 100, output: 20, cache: { read: 50, write: 5 } } });
    return [
      { source: clineSdkSource, file: path.join(dir, 'cline', 'sessions', sdkSession, `${sdkSession}.messages.json`), inputs: [Buffer.from(JSON.stringify(sdk, null, 2))] },
      { source: opencodeStorageSource, file: path.join(dir, 'opencode', 'storage', 'message', 'ses_1', 'msg_1.json'), inputs: [Buffer.from(JSON.stringify(storageMessage))] },
      { source: claudeSource, file: path.join(dir, 'claude', 'projects', '-p', '11111111-2222-3333-4444-555555555555.jsonl'), inputs: lineGroups(path.join(dir, 'claude')) },
      { source: codexSource, file: path.join(dir, 'codex', 'sessions', 'rollout-2026-11-01T10-00-00-019c8a70-dda7-7f33-98ea-f30553347322.jsonl'), inputs: lineGroups(path.join(dir, 'codex')) },
      { source: geminiLogSource, file: path.join(dir, 'gemini', 'chats', 'session-1.jsonl'), inputs: [Buffer.from(geminiLog('dcbe78d3-ea75-4786-929e-d6cff0fc00ed', gemini))] },
      { source: geminiDocumentSource, file: path.join(dir, 'gemini', 'chats', 'session-1.json'), inputs: [Buffer.from(geminiDocument('dcbe78d3-ea75-4786-929e-d6cff0fc00ed', gemini))] },
      { source: clineSource, file: path.join(dir, 'cline', 'tasks', '1000', 'ui_messages.json'), inputs: [Buffer.from(JSON.stringify(cline))] },
      { source: copilotWorkspaceSource, file: path.join(dir, 'copilot', 'ws', 'chatSessions', 's1.json'), inputs: [Buffer.from(JSON.stringify(copilot))] },
      { source: copilotWorkspaceSource, file: path.join(dir, 'copilot', 'ws', 'chatSessions', 's1.jsonl'), inputs: [Buffer.from(mutationLog(copilot, { kind: 1, k: ['requests', 0, 'isCanceled'], v: true }))] },
    ];
  };

  it('never throws, and consumes whole lines or whole documents', () => {
    const random = rng(20261122);
    let parsed = 0;
    for (const { source, file, inputs } of cases()) {
      const intact = { records: 0 };
      for (const input of inputs) parseAll(source, file, input, false, intact);
      assert.ok(intact.records > 0, `${source.agent}: the intact inputs hold usage`);
      const rounds = source.mode === 'document' ? 400 : 3000;
      for (let i = 0; i < rounds; i++) {
        const input = mutate(inputs[Math.floor(random() * inputs.length)], random);
        for (const activity of [false, true]) {
          let consumed: number;
          try {
            consumed = parseAll(source, file, input, activity);
          } catch (error) {
            assert.fail(`${source.agent} threw on ${JSON.stringify(input.toString('latin1').slice(0, 400))}: ${(error as Error).stack}`);
          }
          assert.ok(consumed >= 0 && consumed <= input.length, `${source.agent} consumed ${consumed} of ${input.length}`);
          if (source.mode === 'document') assert.ok(consumed === 0 || consumed === input.length, `${source.agent} consumed part of a document`);
          else assert.ok(consumed === 0 || input[consumed - 1] === 0x0a, `${source.agent} stopped inside a line`);
          parsed++;
        }
      }
    }
    assert.ok(parsed > 10_000);
  });

  it("OpenCode's database reader survives corrupt pages: it reports the file and returns", async () => {
    const random = rng(7);
    const sessions = [1, 2, 3].map((n) => opencodeSession({ id: `ses_${n}`, directory: `/work/r${n}` }));
    const messages = sessions.flatMap((ses, n) => [1, 2, 3, 4].map((k): Record<string, unknown> => ({ ...opencodeAssistant({ id: `msg_${n}_${k}`, sessionID: String(ses.id), created: 1_763_600_000_000 + k * 1000, tokens: { input: 10 * k, output: k } }), note: 'x'.repeat(k * 1500) })));
    const parts = messages.map((m, k) => opencodeStepFinish({ id: `prt_${k}`, sessionID: String(m.sessionID), messageID: String(m.id), tokens: { input: 1, output: 1 } }));
    const db = Buffer.from(await opencodeDatabase({ sessions, messages, parts }));
    const file = path.join(dir, 'opencode', 'opencode.db');
    const intact = { records: 0 };
    parseAll(opencodeDbSource, file, db, false, intact);
    assert.equal(intact.records, messages.length, 'the intact database is read whole');
    for (let i = 0; i < 300; i++) {
      const input = Buffer.from(db);
      // Past the 100-byte header, where the b-tree pages are; or a cut anywhere.
      for (let n = 1 + Math.floor(random() * 8); n > 0; n--) input[100 + Math.floor(random() * (input.length - 100))] = Math.floor(random() * 256);
      const bytes = random() < 0.2 ? input.subarray(0, Math.floor(random() * input.length)) : input;
      let consumed = -1;
      assert.doesNotThrow(() => (consumed = parseAll(opencodeDbSource, file, bytes, random() < 0.5)));
      assert.ok(consumed === 0 || consumed === bytes.length);
    }
  });
});
