import * as vscode from 'vscode';
import { formatBudgetText, parseBudgetText } from '../core/tasks/budgetText';
import { validateCriterion, validateGoal, type Budget } from '../core/tasks/task';

export interface DefineDoneResult {
  goal: string;
  criteria: string[];
  budget: Budget;
}

class BackSignal extends Error {}

/**
 * "Define done": goal → done criteria → budget, each step numbered, with Back, validated inline.
 * Returns undefined when the user cancels. (After vscode-extension-samples' quickinput sample.)
 */
export async function defineDone(defaults: Budget, initial?: Partial<DefineDoneResult>): Promise<DefineDoneResult | undefined> {
  const state: DefineDoneResult = { goal: initial?.goal ?? '', criteria: [...(initial?.criteria ?? [])], budget: initial?.budget ?? defaults };
  const steps = [goalStep, criteriaStep, budgetStep];
  let step = 0;
  while (step < steps.length) {
    try {
      const ok = await steps[step](state, step + 1, steps.length);
      if (!ok) return undefined;
      step++;
    } catch (error) {
      if (error instanceof BackSignal) step = Math.max(0, step - 1);
      else throw error;
    }
  }
  return state;
}

async function goalStep(state: DefineDoneResult, step: number, total: number): Promise<boolean> {
  const goal = await input({
    title: 'Define done: goal',
    step,
    total,
    value: state.goal,
    prompt: 'What should the agent achieve? One line.',
    placeholder: 'e.g. Fix the flaky login test',
    validate: validateGoal,
    back: false,
  });
  if (goal === undefined) return false;
  state.goal = goal.trim();
  return true;
}

async function criteriaStep(state: DefineDoneResult, step: number, total: number): Promise<boolean> {
  // One criterion per entry; an empty entry with at least one criterion moves on.
  for (;;) {
    const listed = state.criteria.map((c, i) => `${i + 1}. ${c}`).join('  ');
    const value = await input({
      title: `Define done: criteria (${state.criteria.length} so far)`,
      step,
      total,
      value: '',
      prompt: state.criteria.length ? `${listed} — add another, or press Enter on an empty line to continue` : 'How will you know it is done? Add one criterion at a time.',
      placeholder: state.criteria.length ? 'Enter on empty to continue; "-" removes the last' : 'e.g. The login test passes 20 times in a row',
      validate: (text) => (text.trim() === '' ? (state.criteria.length ? undefined : 'Add at least one done criterion.') : text.trim() === '-' ? undefined : validateCriterion(text)),
      back: true,
    });
    if (value === undefined) return false;
    const text = value.trim();
    if (text === '') return true;
    if (text === '-') state.criteria.pop();
    else state.criteria.push(text);
  }
}

async function budgetStep(state: DefineDoneResult, step: number, total: number): Promise<boolean> {
  const value = await input({
    title: 'Define done: budget',
    step,
    total,
    value: formatBudgetText(state.budget),
    prompt: 'Dollars, tokens and/or minutes; the meter warns as each fills up.',
    placeholder: '$5 · 300k tokens · 45 min',
    validate: (text) => {
      const parsed = parseBudgetText(text);
      return 'error' in parsed ? parsed.error : undefined;
    },
    back: true,
  });
  if (value === undefined) return false;
  const parsed = parseBudgetText(value);
  if ('error' in parsed) return false;
  state.budget = parsed.budget;
  return true;
}

interface InputOptions {
  title: string;
  step: number;
  total: number;
  value: string;
  prompt: string;
  placeholder: string;
  validate: (text: string) => string | undefined;
  back: boolean;
}

function input(o: InputOptions): Promise<string | undefined> {
  const box = vscode.window.createInputBox();
  box.title = o.title;
  box.step = o.step;
  box.totalSteps = o.total;
  box.value = o.value;
  box.prompt = o.prompt;
  box.placeholder = o.placeholder;
  box.ignoreFocusOut = true;
  box.buttons = o.back ? [vscode.QuickInputButtons.Back] : [];
  return new Promise<string | undefined>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      box.dispose();
    };
    box.onDidChangeValue((text) => (box.validationMessage = o.validate(text)));
    box.onDidAccept(() => {
      const message = o.validate(box.value);
      if (message) {
        box.validationMessage = message;
        return;
      }
      finish(() => resolve(box.value));
    });
    box.onDidTriggerButton((button) => {
      if (button === vscode.QuickInputButtons.Back) finish(() => reject(new BackSignal()));
    });
    box.onDidHide(() => finish(() => resolve(undefined)));
    box.show();
  });
}
