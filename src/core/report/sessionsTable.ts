import { emptyTotals, mergeTotals, type SessionSummary } from '../ledger/ledger';
import { localMinute } from '../util/day';
import { compactTokens, counted, dollars, grouped } from './format';

/**
 * The CLI's `sessions` table: one row per session, oldest activity first (the most recent sits
 * above the total), last activity in local time (the zone `--since` dates are read in, unless
 * `utcOffsetMinutes` fixes one), and a total. Unpriced usage is spelled out, never counted as $0.
 */
export function sessionsTable(sessions: readonly SessionSummary[], prices: { source: string; date: string }, utcOffsetMinutes?: number): string {
  if (sessions.length === 0) {
    return 'No agent sessions found. Looked where each agent writes its logs: CLAUDE_CONFIG_DIR (else ~/.claude and ~/.config/claude), CODEX_HOME (else ~/.codex), and the other agents\' folders under your home.\n';
  }
  const ordered = [...sessions].sort((a, b) => a.lastActivity - b.lastActivity || a.sessionId.localeCompare(b.sessionId));
  const head = ['Agent', 'Session', 'Last activity', 'Models', 'Input', 'Output', 'Cache write', 'Cache read', 'Total', 'Cost'];
  const rows = ordered.map((s) => [
    s.agent,
    s.sessionId.slice(0, 8),
    localMinute(s.lastActivity, utcOffsetMinutes),
    s.models.join(', '),
    grouped(s.inputTokens),
    grouped(s.outputTokens),
    grouped(s.cacheCreationTokens),
    grouped(s.cacheReadTokens),
    `${s.estimated ? '≈' : ''}${compactTokens(s.totalTokens)}`,
    costCell(s),
  ]);
  const all = emptyTotals();
  let unpriced = false;
  for (const s of sessions) {
    mergeTotals(all, s);
    if (s.unpricedModels.length) unpriced = true;
  }
  const count = counted(sessions.length, 'session');
  rows.push(['Total', count, '', '', grouped(all.inputTokens), grouped(all.outputTokens), grouped(all.cacheCreationTokens), grouped(all.cacheReadTokens), compactTokens(all.totalTokens), dollars(all.costUSD) + (unpriced ? ' + unpriced' : '')]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([4, 5, 6, 7, 8, 9]);
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const out = [line(head), rule, ...rows.slice(0, -1).map(line), rule, line(rows[rows.length - 1])];
  const zone = utcOffsetMinutes === undefined ? 'local time' : `UTC${offsetText(utcOffsetMinutes)}`;
  const note = sessions.some((s) => s.estimated) ? ' ≈: estimated from logged text (the agent recorded no counts).' : '';
  return `${out.join('\n')}\nTimes in ${zone}. Prices: ${prices.source}, data of ${prices.date}. "unpriced" models are not in the table and are not counted as $0.${note}\n`;
}

function costCell(s: SessionSummary): string {
  if (s.unpricedModels.length === 0) return dollars(s.costUSD);
  return s.costUSD === null ? 'unpriced' : `${dollars(s.costUSD)} + unpriced`;
}

/** `+05:30`, `-03:00`, `` for UTC itself. */
function offsetText(minutes: number): string {
  if (minutes === 0) return '';
  const m = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
