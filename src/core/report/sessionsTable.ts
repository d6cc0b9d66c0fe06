import { emptyTotals, mergeTotals, type SessionSummary } from '../ledger/ledger';
import { localMinute } from '../util/day';
import { compactTokens, counted, dollars, grouped } from './format';

/** Which columns a layout shows, from the full table to the narrowest. */
interface Layout {
  /** Model ids without their provider's prefix and date (`sonnet-4-5`, not `claude-sonnet-4-5-20250929`). */
  shortModels: boolean;
  /** Only total tokens and cost: input, output and cache columns left out. */
  compact: boolean;
}

/** The models column: the one that gives way when nothing else is left to leave out. */
const MODELS = 3;

const LAYOUTS: readonly Layout[] = [
  { shortModels: false, compact: false },
  { shortModels: true, compact: false },
  { shortModels: true, compact: true },
];

/**
 * The CLI's `sessions` table: one row per session, oldest activity first (the most recent sits
 * above the total), last activity in local time (the zone `--since` dates are read in, unless
 * `utcOffsetMinutes` fixes one), and a total. Unpriced usage is spelled out, never counted as $0.
 * Given a terminal's `width`, it narrows to fit, as ccusage does: shorter model names, then only
 * total tokens and cost, then models cut with "…"; without one (a pipe, a file) it is whole.
 */
export function sessionsTable(sessions: readonly SessionSummary[], prices: { source: string; date: string }, utcOffsetMinutes?: number, width?: number): string {
  if (sessions.length === 0) {
    return 'No agent sessions found. Looked where each agent writes its logs: CLAUDE_CONFIG_DIR (else ~/.claude and ~/.config/claude), CODEX_HOME (else ~/.codex), and the other agents\' folders under your home.\n';
  }
  const ordered = [...sessions].sort((a, b) => a.lastActivity - b.lastActivity || a.sessionId.localeCompare(b.sessionId));
  let lines: string[] = [];
  let layout = LAYOUTS[0];
  for (layout of LAYOUTS) {
    lines = tableLines(ordered, layout, utcOffsetMinutes, width);
    if (width === undefined || lines.every((l) => l.length <= width)) break;
  }
  const zone = utcOffsetMinutes === undefined ? 'local time' : `UTC${offsetText(utcOffsetMinutes)}`;
  const hidden = layout.compact ? ` Input, output and cache columns left out to fit ${width} columns (--json has them all).` : '';
  const note = sessions.some((s) => s.estimated) ? ' ≈: estimated from logged text (the agent recorded no counts).' : '';
  const footer = `Times in ${zone}. Prices: ${prices.source}, data of ${prices.date}. "unpriced" models are not in the table and are not counted as $0.${hidden}${note}`;
  return `${lines.join('\n')}\n${width === undefined ? footer : wrap(footer, width)}\n`;
}

/** Text broken at spaces into lines of at most `width` characters (a longer word keeps its line). */
function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out.join('\n');
}

function tableLines(ordered: readonly SessionSummary[], layout: Layout, utcOffsetMinutes: number | undefined, width: number | undefined): string[] {
  const tokenColumns = (t: { inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number }) =>
    layout.compact ? [] : [grouped(t.inputTokens), grouped(t.outputTokens), grouped(t.cacheCreationTokens), grouped(t.cacheReadTokens)];
  const head = ['Agent', 'Session', 'Last activity', 'Models', ...(layout.compact ? [] : ['Input', 'Output', 'Cache write', 'Cache read']), 'Total', 'Cost'];
  const rows = ordered.map((s) => [
    s.agent,
    s.sessionId.slice(0, 8),
    localMinute(s.lastActivity, utcOffsetMinutes),
    (layout.shortModels ? [...new Set(s.models.map(shortModel))] : s.models).join(', '),
    ...tokenColumns(s),
    `${s.estimated ? '≈' : ''}${compactTokens(s.totalTokens)}`,
    costCell(s.costUSD, s.unpricedModels.length > 0),
  ]);
  const all = emptyTotals();
  let unpriced = false;
  for (const s of ordered) {
    mergeTotals(all, s);
    if (s.unpricedModels.length) unpriced = true;
  }
  rows.push(['Total', counted(ordered.length, 'session'), '', '', ...tokenColumns(all), compactTokens(all.totalTokens), costCell(all.costUSD, unpriced)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  if (width !== undefined && layout === LAYOUTS[LAYOUTS.length - 1]) {
    // The last resort: models cut to what the terminal leaves them (never under their heading).
    const others = widths.reduce((sum, w, i) => sum + (i === MODELS ? 0 : w), 0) + 2 * (widths.length - 1);
    widths[MODELS] = Math.max(head[MODELS].length, Math.min(widths[MODELS], width - others));
    for (const r of rows) if (r[MODELS].length > widths[MODELS]) r[MODELS] = `${r[MODELS].slice(0, widths[MODELS] - 1)}…`;
  }
  const numeric = (i: number) => i > MODELS;
  const line = (cells: string[]) => cells.map((c, i) => (numeric(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(head), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1])];
}

/** `sonnet-4-5` for `claude-sonnet-4-5-20250929`: without the maker's prefix and the snapshot date. */
function shortModel(model: string): string {
  return model.replace(/^(?:claude-|anthropic\/)/, '').replace(/-(?:\d{8}|\d{4}-\d{2}-\d{2})$/, '');
}

/** A cost, and whether some of its usage was unpriced: `$0.25 + unpriced`, or `unpriced` when none was priced. */
function costCell(costUSD: number | null, unpriced: boolean): string {
  if (!unpriced) return dollars(costUSD);
  return costUSD === null ? 'unpriced' : `${dollars(costUSD)} + unpriced`;
}

/** `+05:30`, `-03:00`, `` for UTC itself. */
function offsetText(minutes: number): string {
  if (minutes === 0) return '';
  const m = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
