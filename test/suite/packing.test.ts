import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, until } from './helpers';

/** An assistant record of 2026-01-01 (outside "today", so the other suites' meter is unchanged). */
function line(session: string, n: number, input: number, output: number): string {
  return `${JSON.stringify({
    type: 'assistant',
    cwd: '/work/packed',
    sessionId: session,
    message: { id: `msg_pack_${n}`, model: 'claude-sonnet-4-5-20250929', content: [], usage: { input_tokens: input, output_tokens: output, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } },
    requestId: `req_pack_${n}`,
    timestamp: `2026-01-01T10:00:0${n}.000Z`,
  })}\n`;
}

describe('an editor that starts on history it has no index for', () => {
  it('packs the records of that first scan, and keeps counting exactly afterwards', async () => {
    const a = await api();
    const settings = vscode.workspace.getConfiguration('agentMeter');
    const session = 'ba5eba11-0000-4000-8000-000000000001';
    const dir = path.join(process.env.AGENT_METER_TEST_ROOT!, 'claude-packed');
    const file = path.join(dir, 'projects', '-work-packed', `${session}.jsonl`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A streamed copy (the second, larger, counts) and a second request: 100+12 + 200+20 tokens.
    fs.writeFileSync(file, line(session, 1, 100, 3) + line(session, 1, 100, 12) + line(session, 2, 200, 20));
    // Another set of folders has no index yet: the engine starts cold on them.
    await settings.update('claude.configDirs', [process.env.CLAUDE_CONFIG_DIR!, dir], vscode.ConfigurationTarget.Global);
    try {
      // The scan fills the ledger as it goes; the packing follows it at once.
      const packed = await until('the first scan read and packed', () => {
        const engine = a.engine.engine;
        const state = engine.scanner.fileStates().find((f) => f.path === file);
        return state && engine.ledger.packedBlock(state.id) && { engine, state };
      }, 10_000);
      assert.equal(packed.engine.ledger.recordsOfFile(packed.state.id).length, 0, 'no record objects left');
      assert.equal(packed.engine.ledger.summary('claude-code', session)?.totalTokens, 332);

      // A later, larger copy of request 2 and a third request: +5 output, +50+5.
      fs.appendFileSync(file, line(session, 2, 200, 25) + line(session, 3, 50, 5));
      await until('the appended lines counted', () => a.engine.engine.ledger.summary('claude-code', session)?.totalTokens === 392, 10_000);
      assert.equal(a.engine.engine.ledger.summary('claude-code', session)!.requests, 3);
    } finally {
      await settings.update('claude.configDirs', undefined, vscode.ConfigurationTarget.Global);
      await until('the usual folders back', () => !a.engine.roots().some((r) => r.startsWith(dir)), 10_000);
    }
  });
});
