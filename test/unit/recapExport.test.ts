import * as assert from 'node:assert/strict';
import { csv, csvField, historyCsv, mdText, recapCsv, recapJson, recapMarkdown } from '../../src/core/recap/export';
import type { HistoryRow, RecapModel } from '../../src/core/recap/recapTypes';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const EVIL = '<img src=x onerror=alert(1)>';

function model(over: Partial<RecapModel> = {}): RecapModel {
  const tokens = { input: 100, output: 50, cacheWrite: 0, cacheRead: 850, reasoning: 0, total: 1000 };
  return {
    taskId: 't1',
    goal: 'Fix | the *table* parser',
    status: 'finished',
    outcome: 'done',
    criteria: [
      { text: 'A | B works', done: true },
      { text: 'no regressions', done: false },
    ],
    budget: { usd: 5 },
    startedAt: T0,
    endedAt: T0 + 3_600_000,
    generatedAt: T0 + 3_600_000,
    wallMs: 3_600_000,
    activeMs: 1_800_000,
    costUSD: 1.5,
    unpricedModels: [],
    requests: 3,
    tokens,
    cacheHitRate: 0.85,
    byModel: [{ model: 'weird|model', costUSD: 1.5, priced: true, requests: 3, tokens }],
    delivered: { git: { state: 'ok', commits: [], uncommitted: [], files: [], linesAdded: 10, linesDeleted: 5, binaryFiles: 0 }, commits: 2, linesAdded: 10, linesDeleted: 5, linesChanged: 15, filesTouched: 2, usdPerCommit: 0.75, usdPer100Lines: 10 },
    timeline: { from: T0, to: T0 + 3_600_000, points: [{ at: T0, usd: 0 }], marks: [] },
    tools: [{ name: EVIL, calls: 3, errors: 1 }],
    toolCalls: 3,
    toolErrors: 1,
    userTurns: 1,
    topRequests: [],
    sessions: [],
    flags: [{ rule: 'errorLoop', severity: 'warning', at: T0, message: 'line1\nline2 | x', evidence: [] }],
    ...over,
  };
}

/** Cells of a Markdown table row, split on unescaped pipes. */
function cells(line: string): string[] {
  return line.replace(/^\|\s*/, '').replace(/\s*\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

/** A strict RFC 4180 reader, to check the writer round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('recap export: Markdown', () => {
  it('escapes pipes so a table row keeps its cells', () => {
    const md = recapMarkdown(model());
    const row = md.split('\n').find((l) => l.includes('weird'))!;
    assert.deepEqual(cells(row), ['weird\\|model', '3', '1,000', '$1.50']);
  });

  it('renders a goal, criteria and tool names as text: no HTML, no emphasis, one line each', () => {
    const md = recapMarkdown(model({ goal: `${EVIL} *bold*` }));
    assert.ok(!/(?<!\\)<img/.test(md), 'the tag is escaped');
    assert.ok(md.includes('\\<img src=x onerror=alert(1)\\>'));
    assert.ok(md.includes('\\*bold\\*'));
    assert.ok(md.includes('- [x] A \\| B works'));
    assert.ok(md.includes('- [ ] no regressions'));
    assert.ok(md.includes('line1 line2 \\| x'), 'a newline in a flag message does not break the list');
  });

  it('shows the git state instead of numbers when there is no repository', () => {
    const md = recapMarkdown(model({ delivered: { ...model().delivered, git: { state: 'notRepo', message: '/w is not a git repository.' } } }));
    assert.match(md, /_Git: \/w is not a git repository\._/);
    assert.ok(!md.includes('Cost per commit'));
  });

  it('marks dollars as a lower bound when a model was unpriced', () => {
    assert.match(recapMarkdown(model({ unpricedModels: ['x'] })), /\$1\.50 \(lower bound\)/);
  });

  it('mdText escapes every character that starts markup', () => {
    assert.equal(mdText('a|b\\c`d*e_f[g](h)<i>#j!k~l&m\r\nn'), 'a\\|b\\\\c\\`d\\*e\\_f\\[g\\](h)\\<i\\>\\#j!k\\~l\\&m n');
  });
});

describe('recap export: CSV and JSON', () => {
  it('quotes commas, quotes, line breaks and edge spaces (RFC 4180)', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('he said "hi"'), '"he said ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField(' padded'), '" padded"');
    assert.equal(csvField(1.5), '1.5');
    assert.equal(csvField(null), '');
    assert.equal(csvField(-2), '-2', 'a negative number stays a number');
  });

  it('neutralises spreadsheet formulas in text', () => {
    assert.equal(csvField('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvField('+1'), "'+1");
    assert.equal(csvField('@cmd'), "'@cmd");
  });

  it('round-trips a recap through a strict CSV reader', () => {
    const text = recapCsv(model({ goal: 'Goal, with "quotes"\nand a newline' }));
    const rows = parseCsv(text);
    assert.deepEqual(rows[0], ['section', 'item', 'metric', 'value']);
    assert.ok(rows.every((r) => r.length === 4), 'every row has four fields');
    assert.deepEqual(rows[1], ['task', '', 'goal', 'Goal, with "quotes"\nand a newline']);
    assert.deepEqual(rows.find((r) => r[0] === 'tool' && r[2] === 'calls'), ['tool', EVIL, 'calls', '3']);
    assert.deepEqual(rows.find((r) => r[2] === 'usd_per_commit'), ['git', '', 'usd_per_commit', '0.75']);
  });

  it('writes the history one task per row', () => {
    const row: HistoryRow = { taskId: 't1', goal: 'a, "b"', status: 'finished', outcome: 'abandoned', agents: ['claude-code', 'codex'], startedAt: T0, endedAt: T0 + 1000, costUSD: null, unpriced: true, tokens: 5, activeMs: 1000, criteriaDone: 0, criteriaTotal: 1 };
    const rows = parseCsv(historyCsv([row]));
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[1], ['t1', 'a, "b"', 'finished', 'abandoned', 'claude-code codex', new Date(T0).toISOString(), new Date(T0 + 1000).toISOString(), '', 'true', '5', '1000', '0', '1']);
    assert.equal(csv([['x']]), 'x\r\n');
  });

  it('exports JSON that parses back to the same model', () => {
    const m = model();
    assert.deepEqual(JSON.parse(recapJson(m)), m);
  });
});
