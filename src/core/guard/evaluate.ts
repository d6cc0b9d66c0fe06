import { buildContext, type GuardContext } from './context';
import { budgetProjection } from './rules/budgetProjection';
import { burnWithoutProgress } from './rules/burnWithoutProgress';
import { contextRunaway } from './rules/contextRunaway';
import { errorLoop } from './rules/errorLoop';
import { idleTask } from './rules/idleTask';
import { repeatedToolCycle } from './rules/repeatedToolCycle';
import { velocitySpike } from './rules/velocitySpike';
import type { GuardInput, RuleName, Verdict } from './types';

const RULES: Record<RuleName, (ctx: GuardContext) => Verdict[]> = {
  repeatedToolCycle,
  errorLoop,
  burnWithoutProgress,
  idleTask,
  budgetProjection,
  velocitySpike,
  contextRunaway,
};

/**
 * Every enabled rule's verdicts on the input, at `input.now`. Pure: no clock, no I/O, and the
 * same input always gives the same verdicts in the same order.
 */
export function evaluate(input: GuardInput): Verdict[] {
  const ctx = buildContext(input);
  return input.settings.enabled.flatMap((rule) => RULES[rule](ctx));
}
