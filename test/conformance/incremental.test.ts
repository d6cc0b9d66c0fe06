/*
 * Incremental conformance: the generated logs (known truth, every pitfall) written out a piece at
 * a time, cut anywhere (inside lines, inside UTF-8 characters), files appearing as they are first
 * written, and read as they grow: by one engine refreshing (every file, or only the files that
 * changed, as on a watcher's events), by engines restarted from the persisted index (saved or
 * not, depending on how much the last one read), and by engines that compact their records as
 * the editor does. When every byte is written, the totals must be the truth exactly, and every
 * session the same as one cold scan of the finished logs gives.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Engine, type EngineOptions } from '../../src/core/engine';
import type { SessionSummary } from '../../src/core/ledger/ledger';
import { createPricer } from '../../src/core/pricing/pricer';
import { generate, mulberry32 } from '../gen/generator';
import { compareTokens, emptyDir } from './peers';

/** Every file below `dir`, relative to it. */
function filesBelow(dir: string, relative = ''): string[] {
  return fs.readdirSync(path.join(dir, relative), { withFileTypes: true }).flatMap((e) => {
    const child = path.join(relative, e.name);
    return e.isDirectory() ? filesBelow(dir, child) : [child];
  });
}

/** What a session must agree on, costs to the nano-dollar (the same sums in another order differ in their last bits). */
function comparable(sessions: readonly SessionSummary[]): unknown[] {
  return [...sessions]
    .sort((a, b) => `${a.agent}:${a.sessionId}`.localeCompare(`${b.agent}:${b.sessionId}`))
    .map((s) => ({
      key: `${s.agent}:${s.sessionId}`,
      cwd: s.cwd,
      models: [...s.models].sort(),
      unpriced: [...s.unpricedModels].sort(),
      first: s.firstActivity,
      last: s.lastActivity,
      tokens: [s.inputTokens, s.outputTokens, s.cacheCreationTokens, s.cacheReadTokens, s.reasoningOutputTokens, s.totalTokens],
      requests: s.requests,
      cost: s.costUSD === null ? null : Math.round(s.costUSD * 1e9),
    }));
}

describe('conformance: logs read as they grow, with restarts from the index', function () {
  this.timeout(600_000);

  for (const seed of [23, 57, 91, 130, 211]) {
    it(`end with exactly the truth, and each session as one cold scan gives it (seed ${seed})`, () => {
      const source = emptyDir('am-inc-source-');
      const live = emptyDir('am-inc-live-');
      const state = emptyDir('am-inc-state-');
      const truth = generate({ outDir: source, seed, claudeBytes: 1_500_000, codexBytes: 600_000, sessions: { medianBytes: 50_000, maxBytes: 300_000 } });
      const contents = new Map(filesBelow(source).map((f) => [f, fs.readFileSync(path.join(source, f))]));
      const written = new Map<string, number>();
      const random = mulberry32(seed);
      const options: EngineOptions = {
        env: { home: path.join(live, 'home'), vars: { CLAUDE_CONFIG_DIR: path.join(live, 'claude'), CODEX_HOME: path.join(live, 'codex') } },
        pricer: createPricer(),
        stateDir: state,
        // Low, so that some starts rewrite the index and others read again what the last one read.
        saveMinBytes: 32 * 1024,
      };
      let engine = new Engine(options);
      engine.start();
      const counts = { refreshes: 0, watched: 0, restarts: 0, compactions: 0, pieces: 0 };
      let unfinished = [...contents.keys()];
      while (unfinished.length > 0) {
        const changed = new Set<string>();
        for (let k = 1 + Math.floor(random() * 4); k > 0 && unfinished.length > 0; k--) {
          const file = unfinished[Math.floor(random() * unfinished.length)];
          const bytes = contents.get(file)!;
          const at = written.get(file) ?? 0;
          // Mostly a few lines' worth, now and then a large piece; cut at any byte.
          const n = Math.min(bytes.length - at, 1 + Math.floor(random() ** 3 * 50_000));
          const target = path.join(live, file);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.appendFileSync(target, bytes.subarray(at, at + n));
          written.set(file, at + n);
          changed.add(target);
          counts.pieces++;
          if (at + n >= bytes.length) unfinished = unfinished.filter((f) => f !== file);
        }
        const roll = random();
        if (roll < 0.12) {
          engine = new Engine(options);
          engine.start();
          counts.restarts++;
        } else if (roll < 0.22) {
          engine.refresh();
          assert.ok(engine.compact(), 'compacts (it has a state folder)');
          counts.compactions++;
        } else if (roll < 0.5) {
          // As the editor does on its watchers' events: only the files that changed.
          engine.refresh(changed);
          counts.watched++;
        } else {
          engine.refresh();
          counts.refreshes++;
        }
      }
      assert.strictEqual(engine.refresh().bytesRead, 0, 'every step read what it wrote, the watched ones too');
      const grown = engine.ledger.summaries();

      const diffs = compareTokens(truth.sessions, grown.map((s) => ({ ...s, agent: s.agent as 'claude-code' | 'codex' })));
      assert.strictEqual(diffs.length, 0, `truth vs logs read as they grew (${JSON.stringify(counts)}):\n${diffs.slice(0, 20).map((d) => `  ${d.key} ${d.field}: expected ${d.expected}, got ${d.actual}`).join('\n')}`);
      const cold = new Engine({ ...options, stateDir: undefined });
      cold.start();
      assert.deepStrictEqual(comparable(grown), comparable(cold.ledger.summaries()));
      // The same once more from the index the last engine left.
      const restarted = new Engine(options);
      restarted.start();
      assert.deepStrictEqual(comparable(restarted.ledger.summaries()), comparable(cold.ledger.summaries()));
      assert.ok(counts.restarts >= 3 && counts.compactions >= 2 && counts.watched >= 5 && counts.refreshes >= 10, `every kind of read happened: ${JSON.stringify(counts)}`);
    });
  }
});
