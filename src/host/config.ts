import * as vscode from 'vscode';
import { z } from 'zod';
import { priceOverridesSchema } from '../core/pricing/priceOverrides';
import { RULE_NAMES, type GuardSettings, type RuleName } from '../core/guard/types';
import type { PriceOverrides } from '../core/pricing/pricer';
import { SECTION, SETTINGS } from './ids';

/** Settings after validation; a bad value falls back to its default and is reported once. */
export interface Settings {
  claudeConfigDirs: string[];
  codexHome: string;
  priceOverrides: PriceOverrides;
  /** Budget share (percent) at which the meter turns to the warning colour. */
  warningAt: number;
  errorAt: number;
  budgetUsd: number | undefined;
  budgetTokens: number | undefined;
  budgetMinutes: number | undefined;
  alertThresholds: number[];
  promptOnNewSession: boolean;
  /** Guard thresholds over the defaults (see src/core/guard/settings.ts for where each came from). */
  guard: Partial<GuardSettings>;
}

const percent = z.number().finite().min(1).max(1000);
const positive = z.number().finite().positive();
const guardSchema = z
  .object({
    enabled: z.array(z.enum(RULE_NAMES as [RuleName, ...RuleName[]])),
    staleAfterMinutes: positive,
    cycleRepeats: z.number().int().min(2).max(100),
    maxCycleLength: z.number().int().min(1).max(20),
    pollingTools: z.array(z.string()),
    errorRepeats: z.number().int().min(2).max(100),
    errorWindowMinutes: positive,
    burnMinutes: positive,
    burnTokens: positive,
    burnUSD: positive,
    idleMinutes: positive,
    projectionHorizonMinutes: positive,
    rateWindowMinutes: positive,
    spikeFactor: z.number().finite().min(1),
    spikeHistoryMinutes: positive,
    spikeMinTokensPerMinute: positive,
    contextFraction: z.number().finite().gt(0).max(1),
    contextWindows: z.record(z.string(), z.number().int().positive()),
    compactionRepeats: z.number().int().min(2).max(100),
    compactionWindowMinutes: positive,
  })
  .partial()
  .strict();
const positiveOrEmpty = z.number().finite().positive().optional().nullable();

const schemas: { [K in keyof Settings]: { key: string; schema: z.ZodType; fallback: Settings[K] } } = {
  claudeConfigDirs: { key: SETTINGS.claudeConfigDirs, schema: z.array(z.string()), fallback: [] },
  codexHome: { key: SETTINGS.codexHome, schema: z.string(), fallback: '' },
  priceOverrides: { key: SETTINGS.priceOverrides, schema: priceOverridesSchema, fallback: {} },
  warningAt: { key: SETTINGS.warningAt, schema: percent, fallback: 80 },
  errorAt: { key: SETTINGS.errorAt, schema: percent, fallback: 100 },
  budgetUsd: { key: SETTINGS.budgetUsd, schema: positiveOrEmpty, fallback: 5 },
  budgetTokens: { key: SETTINGS.budgetTokens, schema: positiveOrEmpty, fallback: undefined },
  budgetMinutes: { key: SETTINGS.budgetMinutes, schema: positiveOrEmpty, fallback: 60 },
  alertThresholds: { key: SETTINGS.alertThresholds, schema: z.array(percent).max(10), fallback: [50, 80, 100] },
  promptOnNewSession: { key: SETTINGS.promptOnNewSession, schema: z.boolean(), fallback: true },
  guard: { key: SETTINGS.guard, schema: guardSchema, fallback: {} },
};

/** Reads and validates every setting; `problems` names each rejected value. */
export function readSettings(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration(SECTION)): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  const settings = {} as Record<string, unknown>;
  for (const [name, { key, schema, fallback }] of Object.entries(schemas)) {
    const raw = config.get<unknown>(key);
    if (raw === undefined) {
      settings[name] = fallback;
      continue;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) {
      settings[name] = parsed.data ?? undefined;
    } else {
      settings[name] = fallback;
      problems.push(`${SECTION}.${key}: ${parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ')} (using the default)`);
    }
  }
  return { settings: settings as unknown as Settings, problems };
}
