/*
 * Conformance: generated logs (known truth) → Agent Meter CLI and ccusage.
 *
 * Documented ccusage 20.0.24 divergences (checked, not ignored):
 *  - CODEX_ARCHIVED_TWICE: a rollout present in both sessions/ and
 *    archived_sessions/ is listed twice by ccusage (ids "YYYY/MM/DD/rollout-…"
 *    and "rollout-…"), so its tokens are doubled. We assert exactly that.
 *  - LONG_CONTEXT_PRICING: for a Sonnet request with >200k input, ccusage
 *    bills only the tokens of each category above 200k at the long rate;
 *    Anthropic bills the whole request at the long rate. Those sessions are
 *    priced against the reference table instead of ccusage.
 *  - ccusage appends "-fast" to model names for usage.speed "fast".
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { generate, Truth, TruthSession } from '../gen/generator';
import { agentMeterCli, AgentMeterSession, compareTokens, emptyDir, mapCcusage, PeerSession, runAgentMeter, runCcusage, TOKEN_FIELDS } from './peers';
import { ccusageStyleCost, fastModels, pricedDifferently, referenceCost, relDiff } from './prices';

const DATASETS = [
  // many small sessions: every pitfall at least once
  { name: 'small-sessions', seed: 7, claudeBytes: 3_000_000, codexBytes: 1_000_000, sessions: { medianBytes: 80_000, maxBytes: 600_000 } },
  // fewer, longer sessions: compaction, long context, big tool results
  { name: 'long-sessions', seed: 42, claudeBytes: 6_000_000, codexBytes: 1_500_000, sessions: { medianBytes: 1_500_000, maxBytes: 3_000_000 } },
];

const key = (s: { agent: string; sessionId: string }) => `${s.agent}:${s.sessionId}`;

/** ccusage rows → one row per session, undoing the documented archived double count. */
function collapseCcusage(truth: Truth, rows: PeerSession[]): PeerSession[] {
  const byKey = new Map<string, PeerSession[]>();
  for (const r of rows) byKey.set(key(r), [...(byKey.get(key(r)) ?? []), r]);
  const out: PeerSession[] = [];
  const t = new Map(truth.sessions.map((s) => [key(s), s]));
  for (const [k, rs] of byKey) {
    if (rs.length > 1) {
      const ts = t.get(k);
      assert.ok(ts?.pitfalls.includes('archived-duplicate'), `ccusage lists ${k} ${rs.length} times: ${rs.map((r) => r.rawId).join(', ')}`);
      for (const r of rs) for (const f of TOKEN_FIELDS) assert.strictEqual(r[f], rs[0][f], `CODEX_ARCHIVED_TWICE copies differ on ${f}`);
    }
    out.push(rs[0]);
  }
  return out;
}

function fmt(diffs: ReturnType<typeof compareTokens>, truth: Truth): string {
  const t = new Map(truth.sessions.map((s) => [key(s), s]));
  return diffs
    .slice(0, 30)
    .map((d) => `  ${d.key} ${d.field}: expected ${d.expected}, got ${d.actual} [${t.get(d.key)?.pitfalls.join(',') ?? ''}]`)
    .join('\n');
}

describe('conformance: generated logs vs truth, Agent Meter and ccusage', function () {
  this.timeout(600_000);

  for (const ds of DATASETS) {
    describe(`dataset ${ds.name} (seed ${ds.seed})`, () => {
      let dir = '';
      let truth: Truth;
      let cc: PeerSession[] = [];
      let ccRaw: PeerSession[] = [];
      let am: AgentMeterSession[] | undefined;

      before(() => {
        dir = emptyDir(`am-conf-${ds.name}-`);
        truth = generate({ outDir: dir, seed: ds.seed, claudeBytes: ds.claudeBytes, codexBytes: ds.codexBytes, sessions: ds.sessions });
        fs.writeFileSync(path.join(dir, 'truth.json'), JSON.stringify(truth));
        ccRaw = mapCcusage(runCcusage('claude', dir), runCcusage('codex', dir));
        cc = collapseCcusage(truth, ccRaw);
        const cli = agentMeterCli();
        if (cli) am = runAgentMeter(cli, dir);
      });

      after(() => {
        if (dir && !process.env.AM_KEEP_CONFORMANCE_DATA) fs.rmSync(dir, { recursive: true, force: true });
      });

      it('generates sessions of both agents with the pitfalls', () => {
        assert.ok(truth.sessions.some((s) => s.agent === 'claude-code'));
        assert.ok(truth.sessions.some((s) => s.agent === 'codex'));
        if (ds.name === 'small-sessions') {
          const all = new Set(truth.sessions.flatMap((s) => s.pitfalls));
          for (const p of ['resume-copy', 'sidechain-replay', 'progress-embed', 'synthetic', 'truncated-tail', 'malformed-line', 'fork-replay', 'archived-duplicate', 'codex-total-drop', 'codex-missing-total', 'codex-info-model']) {
            assert.ok(all.has(p), `pitfall ${p} not generated`);
          }
        }
      });

      it('truth agrees with ccusage on every session\'s tokens (after the documented archived double count)', () => {
        const archivedTwice = ccRaw.length - cc.length;
        assert.strictEqual(archivedTwice, truth.sessions.filter((s) => s.pitfalls.includes('archived-duplicate')).length);
        const diffs = compareTokens(truth.sessions, cc);
        assert.strictEqual(diffs.length, 0, `truth vs ccusage:\n${fmt(diffs, truth)}`);
      });

      it('ccusage dollars match the reference price table (its own long-context tiering for >200k Sonnet requests)', () => {
        const bad: string[] = [];
        for (const s of truth.sessions) {
          const c = cc.find((r) => key(r) === key(s));
          if (!c) continue;
          const expected = pricedDifferently(s) ? ccusageStyleCost(s) : referenceCost(s);
          if (relDiff(c.costUSD, expected) > 0.01) bad.push(`${key(s)} ccusage ${c.costUSD} expected ${expected}`);
        }
        assert.deepStrictEqual(bad, []);
      });

      it('Agent Meter tokens equal the truth exactly', function () {
        if (!am) return this.skip();
        const diffs = compareTokens(truth.sessions, am);
        assert.strictEqual(diffs.length, 0, `truth vs Agent Meter:\n${fmt(diffs, truth)}`);
        const r = compareTokens(
          truth.sessions.map((s) => ({ ...s, totalTokens: s.reasoningOutputTokens })),
          am.map((s) => ({ ...s, totalTokens: s.reasoningOutputTokens })),
          ['totalTokens'],
        );
        assert.strictEqual(r.length, 0, `reasoningOutputTokens:\n${fmt(r, truth)}`);
      });

      it('Agent Meter reports cwd, models and activity window of each session', function () {
        if (!am) return this.skip();
        const byKey = new Map(am.map((s) => [key(s), s]));
        const bad: string[] = [];
        for (const s of truth.sessions) {
          const a = byKey.get(key(s));
          if (!a) continue;
          if (a.cwd !== s.cwd) bad.push(`${key(s)} cwd ${a.cwd} != ${s.cwd}`);
          const models = [...a.models].sort();
          if (JSON.stringify(models) !== JSON.stringify(s.models)) bad.push(`${key(s)} models ${models} != ${s.models}`);
          // activity may legitimately include non-usage records; it must cover the usage window
          if (!(a.firstActivity <= s.firstActivity && a.lastActivity >= s.lastActivity)) bad.push(`${key(s)} activity ${a.firstActivity}..${a.lastActivity} does not cover ${s.firstActivity}..${s.lastActivity}`);
        }
        assert.deepStrictEqual(bad.slice(0, 20), []);
      });

      it('Agent Meter agrees with ccusage on tokens and within 1% on dollars (documented exceptions priced by the reference table)', function () {
        if (!am) return this.skip();
        const diffs = compareTokens(cc, am);
        assert.strictEqual(diffs.length, 0, `ccusage vs Agent Meter:\n${fmt(diffs, truth)}`);
        const byKey = new Map(am.map((s) => [key(s), s]));
        const bad: string[] = [];
        for (const s of truth.sessions as TruthSession[]) {
          const a = byKey.get(key(s));
          const c = cc.find((r) => key(r) === key(s));
          if (!a || !c) continue;
          // Fast mode is not in the bundled table: those requests are unpriced (named, never $0),
          // and the dollars cover the rest.
          const fast = fastModels(s);
          assert.deepStrictEqual(a.unpricedModels, fast, `${key(s)} unpriced models`);
          const why = pricedDifferently(s) ?? (fast.length ? 'fast mode is unpriced in Agent Meter (6x in ccusage)' : undefined);
          const expected = why ? referenceCost(s, { withoutFast: true }) : c.costUSD;
          if (relDiff(a.costUSD, expected) > 0.01) bad.push(`${key(s)} agent-meter $${a.costUSD} vs ${why ? 'reference' : 'ccusage'} $${expected}${why ? ` (ccusage $${c.costUSD}: ${why})` : ''}`);
        }
        assert.deepStrictEqual(bad.slice(0, 20), []);
      });
    });
  }
});
