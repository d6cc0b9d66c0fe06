import { RULE_NAMES, type GuardSettings } from './types';

/** Claude models' standard window; Claude Code logs never state it (Codex logs do). */
const CLAUDE_WINDOW = 200_000;

/**
 * Defaults of every guard threshold, each with the measurement or the prior art that chose it.
 *
 * "The real Codex sample" below is `codex/localpush/rollout-2026-02-23T12-40-23-…jsonl` in the
 * shared public fixtures (madshn/localpush, a real gpt-5.3-codex session of 65 minutes, 161
 * token_count events, 110 tool calls).
 */
export const DEFAULT_GUARD_SETTINGS: GuardSettings = {
  enabled: RULE_NAMES,
  // 30 min: the idle threshold below; once an agent has been quiet that long the idle rule speaks
  // for the task and stale loops or spikes would only repeat old news.
  staleAfterMinutes: 30,

  // 5: Gemini CLI's TOOL_CALL_LOOP_THRESHOLD (packages/core/src/services/loopDetectionService.ts),
  // 5 consecutive calls with identical name and arguments. We apply it per cycle, so a ping-pong
  // needs 10 calls, stricter than OpenHands' alternating_pattern = 6 actions (3 cycles,
  // openhands/sdk/conversation/stuck_detector.py): we only warn, and a false alarm costs trust.
  cycleRepeats: 5,
  // 5: the longest cycle the brief asks for; read → edit → test → read ... loops are 3-4 long.
  maxCycleLength: 5,
  // Polling a background process repeats one identical call by design: the real Codex sample polls
  // a running build with 7 identical `write_stdin` calls in 44 s (Gemini's rule would fire there).
  // Claude Code polls with `TaskOutput` (`BashOutput` before 2.0.64, per its changelog).
  pollingTools: ['write_stdin', 'TaskOutput', 'BashOutput'],

  // 4 in 10 min: OpenHands stops at 3 identical actions that all error (action_error = 3); we count
  // the same error even when the arguments vary, so we ask for one more. 10 min holds four
  // edit-then-test rounds at the real Codex sample's pace (a test run within ~1 min of each
  // apply_patch) without adding up errors from unrelated phases of a long session.
  errorRepeats: 4,
  errorWindowMinutes: 10,

  // 15 min and 3M tokens or $3: the real Codex sample's median active minute is 264k tokens, so an
  // agent busy for most of a quarter hour spends ~3-4M; a Sonnet 4.5 agent at 150k cached context
  // and ~8 requests a minute spends ~$0.40 a minute, so $3 is half a quarter hour of steady work.
  // Reading code before the first edit rarely takes that long without a word from the user.
  burnMinutes: 15,
  burnTokens: 3_000_000,
  burnUSD: 3,

  // 30 min: twice WakaTime's default 15-minute idle timeout, the usual "stepped away" threshold of
  // coding-time trackers; a task left that long is more likely forgotten than paused for thought.
  idleMinutes: 30,

  // 15 min: enough to read the alert and stop the agent at a clean point; the rate over the last
  // 10 min smooths the request-to-request jitter (the real Codex sample's busy minutes range from
  // 81k to 1.2M tokens) without remembering a phase that has ended.
  projectionHorizonMinutes: 15,
  rateWindowMinutes: 10,

  // 5x over 10 active minutes, and at least 500k tokens in the minute: in the real Codex sample the
  // busiest minute reached 4.4x the running median of the minutes before it during normal work, so
  // the factor must sit above that; 10 minutes is the least history whose median is not one burst;
  // 500k is about twice that sample's median active minute, so a jump from a tiny base is not news.
  spikeFactor: 5,
  spikeHistoryMinutes: 10,
  spikeMinTokensPerMinute: 500_000,

  // 0.9: the brief's default, within one large tool result of the hard limit.
  contextFraction: 0.9,
  // Exact ids only (no substring guessing, as with prices). A 1M-token beta session reports the
  // same id; a context above the table's window is taken as such a session and not flagged.
  contextWindows: {
    'claude-opus-4-6': CLAUDE_WINDOW,
    'claude-opus-4-5-20251101': CLAUDE_WINDOW,
    'claude-opus-4-1-20250805': CLAUDE_WINDOW,
    'claude-opus-4-20250514': CLAUDE_WINDOW,
    'claude-sonnet-4-5-20250929': CLAUDE_WINDOW,
    'claude-sonnet-4-20250514': CLAUDE_WINDOW,
    'claude-haiku-4-5-20251001': CLAUDE_WINDOW,
    'claude-3-7-sonnet-20250219': CLAUDE_WINDOW,
  },
  // 2 in 10 min: the real Codex sample grew its context by 147k tokens in ~20 active minutes, so a
  // busy session refills the ~120k between Claude Code's post-compaction size and its auto-compact
  // point in about 16 minutes; two compactions within 10 minutes mean a fill faster than real work
  // (huge tool outputs, a compaction that frees nothing), with a 1.6x margin.
  compactionRepeats: 2,
  compactionWindowMinutes: 10,
};

/** Defaults with the caller's overrides on top. */
export function guardSettings(overrides: Partial<GuardSettings> = {}): GuardSettings {
  return { ...DEFAULT_GUARD_SETTINGS, ...overrides };
}
