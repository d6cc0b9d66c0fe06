import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { createPricer, type Provider, type TokenUsage } from '../../src/core/pricing/pricer';
import { PRICE_TABLE } from '../../src/core/pricing/prices.generated';
import type { MatchLogic } from '../../src/core/pricing/priceTable';

// The extracted table must price exactly as the library it came from: same model resolution,
// same dated periods, same long-context tiers, same cache-price fallbacks. This test loads the
// library (tests only; the product never does) and compares every model of the three providers.

const providers: Provider[] = ['anthropic', 'openai', 'google'];

/** Literal ids a pattern names, plus variants that probe its edges (dated ids, suffixes). */
function probeIds(logic: MatchLogic, out: Set<string>): void {
  if ('or' in logic) return logic.or.forEach((l) => probeIds(l, out));
  if ('and' in logic) return logic.and.forEach((l) => probeIds(l, out));
  const literal = 'equals' in logic ? logic.equals : 'starts_with' in logic ? logic.starts_with : 'ends_with' in logic ? logic.ends_with : 'contains' in logic ? logic.contains : undefined;
  if (literal === undefined) return;
  for (const suffix of ['', '-20250929', '-2025-09-29', '-mini', '0', '-tts', '@20250514', ':thinking', '-20251345']) out.add(literal + suffix);
  out.add(`vendor/${literal}`);
  out.add(literal.toUpperCase());
}

function libraryUsage(u: TokenUsage): Record<string, number> {
  return {
    input_tokens: u.inputTokens + u.cacheWrite5mTokens + u.cacheWrite1hTokens + u.cacheReadTokens,
    cache_write_tokens: u.cacheWrite5mTokens + u.cacheWrite1hTokens,
    cache_write_1h_tokens: u.cacheWrite1hTokens,
    cache_read_tokens: u.cacheReadTokens,
    output_tokens: u.outputTokens,
    web_searches: u.webSearchRequests ?? 0,
  };
}

const usages: TokenUsage[] = [
  { inputTokens: 1234, outputTokens: 567, cacheWrite5mTokens: 8910, cacheWrite1hTokens: 1112, cacheReadTokens: 131_415, webSearchRequests: 2 },
  { inputTokens: 10_000, outputTokens: 5000, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 90_000 },
  // straddles every tier start in the table (128k, 200k, 271 999/272k)
  { inputTokens: 127_999, outputTokens: 1, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 1 },
  { inputTokens: 1, outputTokens: 1, cacheWrite5mTokens: 100_000, cacheWrite1hTokens: 0, cacheReadTokens: 100_000 },
  { inputTokens: 1, outputTokens: 1, cacheWrite5mTokens: 100_000, cacheWrite1hTokens: 0, cacheReadTokens: 99_999 },
  { inputTokens: 71_999, outputTokens: 3000, cacheWrite5mTokens: 0, cacheWrite1hTokens: 100_000, cacheReadTokens: 100_000 },
  { inputTokens: 72_000, outputTokens: 3000, cacheWrite5mTokens: 0, cacheWrite1hTokens: 100_000, cacheReadTokens: 100_000 },
  { inputTokens: 500_000, outputTokens: 64_000, cacheWrite5mTokens: 20_000, cacheWrite1hTokens: 30_000, cacheReadTokens: 400_000 },
];

describe('pricing table vs @pydantic/genai-prices', () => {
  const pricer = createPricer();

  it('was extracted from the installed library version', () => {
    // The package's "exports" hides package.json; it sits one folder above the resolved entry.
    const pkg = path.join(path.dirname(require.resolve('@pydantic/genai-prices')), '..', 'package.json');
    const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
    assert.equal(PRICE_TABLE.source, `@pydantic/genai-prices@${version}`);
  });

  for (const provider of providers) {
    it(`resolves ${provider} model ids to the same table model`, () => {
      const ids = new Set<string>(['unknown-model', '<synthetic>', 'gpt-5.4-mini', 'gpt-5.9-mini', 'claude-opus-4-10']);
      for (const m of PRICE_TABLE.providers[provider]!.models) {
        ids.add(m.id);
        probeIds(m.match, ids);
      }
      let compared = 0;
      for (const id of ids) {
        const lib = calcPrice({ input_tokens: 1, output_tokens: 1 }, id, { providerId: provider });
        assert.equal(pricer.tableModelId(provider, id), lib?.model.id ?? null, `${provider} ${id}`);
        compared++;
      }
      assert.ok(compared > 50, `only ${compared} ids compared`);
    });

    it(`prices every ${provider} model as the library does, in every dated period`, () => {
      // Price each model through an id that resolves to it (some ids, e.g. `ft:gpt-4o`, do not match their own pattern).
      const probes = new Set<string>();
      for (const m of PRICE_TABLE.providers[provider]!.models) {
        probes.add(m.id);
        probeIds(m.match, probes);
      }
      const idFor = new Map<string, string>();
      for (const id of probes) {
        const resolved = pricer.tableModelId(provider, id);
        if (resolved !== null && !idFor.has(resolved)) idFor.set(resolved, id);
      }
      let compared = 0;
      for (const m of PRICE_TABLE.providers[provider]!.models) {
        const id = idFor.get(m.id);
        if (id === undefined) continue; // shadowed by an earlier model's pattern: unreachable in the library too
        const starts = m.periods.flatMap((p) => (p.from ? [Date.parse(`${p.from}T00:00:00Z`)] : []));
        const times = [Date.UTC(2024, 0, 1), Date.UTC(2026, 9, 1), ...starts, ...starts.map((s) => s - 1)];
        for (const at of times) {
          for (const u of usages) {
            const ours = pricer.cost(provider, id, u, { at });
            const lib = calcPrice(libraryUsage(u), id, { providerId: provider, timestamp: new Date(at) });
            assert.ok(lib, `library does not price ${provider}/${id}`);
            if (ours === null) {
              // We refuse to price periods without input or output rates (the library says $0 there).
              const p = lib.model_price;
              assert.ok(p.input_mtok === undefined || p.output_mtok === undefined, `${m.id} unpriced but the library has rates`);
              continue;
            }
            const tolerance = 1e-12 * Math.max(1, Math.abs(lib.total_price));
            assert.ok(Math.abs(ours - lib.total_price) <= tolerance, `${provider}/${m.id} at ${new Date(at).toISOString()} ${JSON.stringify(u)}: ours ${ours}, library ${lib.total_price}`);
            compared++;
          }
        }
      }
      assert.ok(idFor.size >= PRICE_TABLE.providers[provider]!.models.length - 3, `only ${idFor.size} models reachable`);
      assert.ok(compared > 100, `only ${compared} prices compared`);
    });
  }
});
