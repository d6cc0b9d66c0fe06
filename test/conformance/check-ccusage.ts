/*
 * Standalone: generate a small data set and diff the generator truth against
 * ccusage, session by session. Prints every difference with the pitfalls the
 * session exercises.
 *   node out/test/conformance/check-ccusage.js [seed] [claudeBytes] [codexBytes]
 */
import * as fs from 'fs';
import * as path from 'path';
import { generate } from '../gen/generator';
import { compareTokens, emptyDir, mapCcusage, runCcusage } from './peers';

const seed = Number(process.argv[2] ?? 7);
const cb = Number(process.argv[3] ?? 3_000_000);
const xb = Number(process.argv[4] ?? 1_000_000);
const dir = emptyDir('am-check-');
const truth = generate({ outDir: dir, seed, claudeBytes: cb, codexBytes: xb, sessions: { medianBytes: 80_000, maxBytes: 600_000 } });
fs.writeFileSync(path.join(dir, 'truth.json'), JSON.stringify(truth, null, 1));
const peer = mapCcusage(runCcusage('claude', dir), runCcusage('codex', dir));
const diffs = compareTokens(truth.sessions, peer);
const byId = new Map(truth.sessions.map((s) => [`${s.agent}:${s.sessionId}`, s]));
console.log(`data: ${dir}  sessions: truth ${truth.sessions.length}, ccusage ${peer.length}`);
for (const d of diffs) {
  const t = byId.get(d.key);
  const rows = peer.filter((p) => `${p.agent}:${p.sessionId}` === d.key).map((p) => p.rawId);
  console.log(`${d.key} ${d.field}: truth=${d.expected} ccusage=${d.actual} (diff ${typeof d.actual === 'number' && typeof d.expected === 'number' ? d.actual - d.expected : '-'}) pitfalls=[${t?.pitfalls.join(',') ?? ''}] rows=${rows.join(' | ')}`);
}
console.log(diffs.length ? `${diffs.length} differences` : 'ALL SESSIONS MATCH');

// dollars: ccusage vs the reference price table (and vs its own tiering style)
import { ccusageStyleCost, pricedDifferently, referenceCost, relDiff } from './prices';
let costBad = 0;
for (const s of truth.sessions) {
  const rows = peer.filter((p) => p.agent === s.agent && p.sessionId === s.sessionId);
  if (!rows.length) continue;
  const cc = rows[0].costUSD;
  const ref = referenceCost(s);
  const sty = ccusageStyleCost(s);
  const why = pricedDifferently(s);
  if (relDiff(cc, sty) > 0.01 || (!why && relDiff(cc, ref) > 0.01)) {
    costBad++;
    console.log(`COST ${s.agent}:${s.sessionId} ccusage=${cc.toFixed(6)} reference=${ref.toFixed(6)} ccusage-style=${sty.toFixed(6)} models=${s.models.join(',')} ${why ?? ''}`);
  } else if (why) console.log(`cost (documented divergence) ${s.sessionId}: ccusage=${cc.toFixed(4)} reference=${ref.toFixed(4)} (${((cc / ref - 1) * 100).toFixed(1)}%)`);
}
console.log(costBad ? `${costBad} cost differences` : 'ALL COSTS MATCH (within 1%)');
