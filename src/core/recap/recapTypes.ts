/**
 * The shapes the recap page receives, written once as zod schemas: the host builds values of these
 * types, and the page validates every message against the same schemas before rendering anything.
 *
 * Pure: only `zod`, so the browser bundle can import it (no Node, no vscode).
 */
import { AGENT_ID_TUPLE } from '../sources/agentNames';
import { z } from 'zod';

const agent = z.enum(AGENT_ID_TUPLE);
const outcome = z.enum(['done', 'partly', 'abandoned']);
const status = z.enum(['active', 'paused', 'finished']);
const usd = z.number().nullable();
const count = z.number().int().nonnegative();
const ms = z.number();

/** One file's change in `git --numstat`; null counts when unknown (binary or untracked file). */
export const fileChangeSchema = z.object({ path: z.string(), added: count.nullable(), deleted: count.nullable(), binary: z.boolean() });
export type FileChange = z.infer<typeof fileChangeSchema>;

export const gitCommitSchema = z.object({ hash: z.string(), at: ms, subject: z.string(), files: z.array(fileChangeSchema) });
export type GitCommit = z.infer<typeof gitCommitSchema>;

/**
 * What the repository shows since a task started: commits after the start (and before its end) plus,
 * for an open task, the uncommitted changes. A folder that is not a repository, or a machine
 * without git, is a state, not an error.
 */
export const gitOutcomeSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('ok'),
    commits: z.array(gitCommitSchema),
    uncommitted: z.array(fileChangeSchema),
    /** Distinct paths touched by the commits or the uncommitted changes. */
    files: z.array(z.string()),
    linesAdded: count,
    linesDeleted: count,
    binaryFiles: count,
  }),
  z.object({ state: z.literal('notRepo'), message: z.string() }),
  z.object({ state: z.literal('noGit'), message: z.string() }),
  z.object({ state: z.literal('error'), message: z.string() }),
]);
export type GitOutcome = z.infer<typeof gitOutcomeSchema>;

export const tokensByKindSchema = z.object({
  input: count,
  output: count,
  cacheWrite: count,
  cacheRead: count,
  /** Already inside `output` (informational). */
  reasoning: count,
  total: count,
});
export type TokensByKind = z.infer<typeof tokensByKindSchema>;

export const recapModelSchema = z.object({
  taskId: z.string(),
  goal: z.string(),
  status,
  outcome: outcome.optional(),
  criteria: z.array(z.object({ text: z.string(), done: z.boolean() })),
  budget: z.object({ usd: z.number().optional(), tokens: z.number().optional(), minutes: z.number().optional() }),
  startedAt: ms,
  endedAt: ms.optional(),
  /** When the model was built (epoch ms). */
  generatedAt: ms,
  wallMs: ms,
  activeMs: ms,
  /** Dollars of the priced requests; null when none was priced. A lower bound if `unpricedModels`. */
  costUSD: usd,
  unpricedModels: z.array(z.string()),
  requests: count,
  tokens: tokensByKindSchema,
  /** Cache reads over all prompt tokens (input + cache writes + cache reads); null without prompts. */
  cacheHitRate: z.number().nullable(),
  byModel: z.array(z.object({ model: z.string(), costUSD: usd, priced: z.boolean(), estimated: z.boolean().optional(), requests: count, tokens: tokensByKindSchema })),
  /** Outcome per dollar: what git shows since the start, divided into the cost. */
  delivered: z.object({
    git: gitOutcomeSchema,
    commits: count,
    linesAdded: count,
    linesDeleted: count,
    linesChanged: count,
    filesTouched: count,
    /** Null when there is nothing to divide by (no commit, no line) or no priced dollar. */
    usdPerCommit: usd,
    usdPer100Lines: usd,
  }),
  timeline: z.object({
    from: ms,
    to: ms,
    /** Cumulative dollars after each request (downsampled), starting at 0 at the task's start. */
    points: z.array(z.object({ at: ms, usd: z.number() })),
    marks: z.array(z.object({ at: ms, kind: z.enum(['userTurn', 'flag']), label: z.string(), severity: z.enum(['warning', 'error']).optional() })),
  }),
  tools: z.array(z.object({ name: z.string(), calls: count, errors: count })),
  toolCalls: count,
  toolErrors: count,
  userTurns: count,
  topRequests: z.array(z.object({ at: ms, agent, sessionId: z.string(), model: z.string(), costUSD: usd, tokens: count })),
  sessions: z.array(
    z.object({
      /** `agent:sessionId`; the page sends it back to open the log (never a path). */
      key: z.string(),
      agent,
      sessionId: z.string(),
      models: z.array(z.string()),
      costUSD: usd,
      tokens: count,
      requests: count,
      firstActivity: ms,
      lastActivity: ms,
      logFile: z.string().optional(),
    }),
  ),
  flags: z.array(z.object({ rule: z.string(), severity: z.enum(['warning', 'error']), at: ms, message: z.string(), evidence: z.array(z.string()) })),
});
/** Everything the recap page shows about one task. */
export type RecapModel = z.infer<typeof recapModelSchema>;

export const historyRowSchema = z.object({
  taskId: z.string(),
  goal: z.string(),
  status,
  outcome: outcome.optional(),
  /** Agents whose sessions counted, comma-joined for sorting and filtering. */
  agents: z.array(agent),
  startedAt: ms,
  endedAt: ms.optional(),
  costUSD: usd,
  unpriced: z.boolean(),
  tokens: count,
  activeMs: ms,
  criteriaDone: count,
  criteriaTotal: count,
});
export type HistoryRow = z.infer<typeof historyRowSchema>;

const bucket = z.object({ count, costUSD: z.number() });

export const historyModelSchema = z.object({
  rows: z.array(historyRowSchema),
  totals: z.object({ done: bucket, partly: bucket, abandoned: bucket, open: bucket, all: bucket }),
  /** Each done task in finishing order, with the running mean cost per done task. */
  costPerDone: z.array(z.object({ at: ms, taskId: z.string(), costUSD: z.number(), meanUSD: z.number() })),
});
export type HistoryModel = z.infer<typeof historyModelSchema>;
