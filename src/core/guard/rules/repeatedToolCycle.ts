import { compactTokens, dollars } from '../../report/format';
import { agentName, recordsBetween, spend, type GuardContext, type ToolCallEvent } from '../context';
import type { Verdict } from '../types';

/**
 * The session's latest tool calls repeat one cycle of 1 to `maxCycleLength` calls, each with the
 * same name and arguments, `cycleRepeats` times in a row (AAAAA, ABABABABAB ...).
 *
 * Only consecutive calls count, as in Gemini CLI: one different call breaks the cycle, so a batch
 * of edits to different files, or retries with new arguments, never match. Counting restarts at
 * each user turn (as OpenHands' stuck detector does): a person steering the agent is not a loop.
 * A cycle made only of polling tools is an agent waiting for a process, not a loop.
 */
export function repeatedToolCycle(ctx: GuardContext): Verdict[] {
  const { settings, now } = ctx.input;
  const polling = new Set(settings.pollingTools);
  const verdicts: Verdict[] = [];
  for (const session of ctx.sessions) {
    const calls = session.sinceUserTurn.filter((e): e is ToolCallEvent => e.kind === 'toolCall');
    const last = calls.at(-1);
    if (!last || ctx.stale(last.timestamp)) continue;
    const sig = calls.map(signature);
    for (let k = 1; k <= settings.maxCycleLength; k++) {
      const needed = k * settings.cycleRepeats;
      if (sig.length < needed || !periodic(sig, sig.length - needed, k)) continue;
      const cycle = calls.slice(-k);
      if (cycle.every((c) => polling.has(c.name))) break;
      let start = sig.length - needed;
      while (start > 0 && sig[start - 1] === sig[start - 1 + k]) start--;
      const loop = calls.slice(start);
      const repeats = Math.floor(loop.length / k);
      const records = recordsBetween(session.records, loop[0].timestamp, now);
      const cost = spend(records);
      const costText = cost.usd !== null ? `${compactTokens(cost.tokens)} tokens (${dollars(cost.usd)})` : `${compactTokens(cost.tokens)} tokens`;
      const who = agentName(session.agent);
      const what =
        k === 1
          ? `has called ${cycle[0].name} with identical arguments ${loop.length} times in a row`
          : `has repeated the same ${k} tool calls (${cycle.map((c) => c.name).join(' → ')}) with identical arguments ${repeats} times in a row`;
      verdicts.push({
        rule: 'repeatedToolCycle',
        severity: 'warning',
        episodeKey: ctx.key('repeatedToolCycle', session.sessionId, canonicalCycle(cycle.map(signature))),
        message: `${who} ${what}, spending ${costText} on it; it looks stuck in a loop.`,
        sessionId: session.sessionId,
        evidence: { events: loop, records },
      });
      break;
    }
  }
  return verdicts;
}

function signature(call: ToolCallEvent): string {
  return `${call.name}\u0000${call.argsHash}`;
}

/** Every element from `from + k` on equals the one `k` before it. */
function periodic(sig: readonly string[], from: number, k: number): boolean {
  for (let i = from + k; i < sig.length; i++) if (sig[i] !== sig[i - k]) return false;
  return true;
}

/**
 * The cycle's smallest rotation, so ABAB… keeps one key whether the latest call is A or B: the
 * episode must not restart every time the agent takes one more step round the same loop.
 */
function canonicalCycle(cycle: readonly string[]): string {
  let best: string | undefined;
  for (let r = 0; r < cycle.length; r++) {
    const rotation = [...cycle.slice(r), ...cycle.slice(0, r)].join('\u0001');
    if (best === undefined || rotation < best) best = rotation;
  }
  return (best ?? '').replace(/\u0000/g, '#').replace(/\u0001/g, '>');
}
