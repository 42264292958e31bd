/**
 * What tokens cost, per model: one dated table of list prices (USD per million tokens, standard
 * tier, prompts up to 200k tokens, no batch discount) for the models the worker kinds report.
 * A model is found by its exact name, else by the longest listed name it starts with followed by
 * `-` (dated snapshots: `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`; `gpt-5.5` is not `gpt-5`).
 * Prices change: update the table and `PRICES_AS_OF` together.
 */

/**
 * When the table was last checked against published price lists. 2026-12-03: the Claude 4.5–5.5
 * rows from platform.claude.com's model pages (Sonnet 5.5's cache reads at $0.10 since its
 * 2026-10-07 cut), the GPT-5.2–5.5 rows from OpenAI's pricing page as quoted by price trackers;
 * Gemini 3 models are left out until their cached-input price is confirmed (they show "cost unknown").
 */
export const PRICES_AS_OF = '2026-12-03';

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  /** Input served from the prompt cache (cache reads). */
  cachedInput: number;
  /** Output, reasoning/thinking tokens included. */
  output: number;
}

export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-codex': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-5.2': { input: 1.75, cachedInput: 0.175, output: 14 },
  'gpt-5.4': { input: 2.5, cachedInput: 0.25, output: 15 },
  'gpt-5.4-mini': { input: 0.75, cachedInput: 0.075, output: 4.5 },
  'gpt-5.4-nano': { input: 0.2, cachedInput: 0.02, output: 1.25 },
  'gpt-5.5': { input: 5, cachedInput: 0.5, output: 30 },
  'claude-opus-4': { input: 15, cachedInput: 1.5, output: 75 },
  'claude-opus-4-1': { input: 15, cachedInput: 1.5, output: 75 },
  'claude-opus-4-5': { input: 5, cachedInput: 0.5, output: 25 },
  'claude-opus-4-6': { input: 5, cachedInput: 0.5, output: 25 },
  'claude-opus-4-7': { input: 5, cachedInput: 0.5, output: 25 },
  'claude-opus-5': { input: 5, cachedInput: 0.5, output: 25 },
  'claude-opus-5-5': { input: 4, cachedInput: 0.2, output: 20 },
  'claude-sonnet-5': { input: 2, cachedInput: 0.2, output: 10 },
  'claude-sonnet-5-5': { input: 2, cachedInput: 0.1, output: 10 },
  'claude-sonnet-4': { input: 3, cachedInput: 0.3, output: 15 },
  'claude-sonnet-4-5': { input: 3, cachedInput: 0.3, output: 15 },
  'claude-haiku-4-5': { input: 1, cachedInput: 0.1, output: 5 },
  'claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, output: 4 },
  // Prompts up to 100k tokens (longer ones cost 5x; captain sees totals, not prompt sizes).
  'claude-haiku-5-5': { input: 0.1, cachedInput: 0.01, output: 0.5 },
  'gemini-2.5-pro': { input: 1.25, cachedInput: 0.31, output: 10 },
  'gemini-2.5-flash': { input: 0.3, cachedInput: 0.075, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, cachedInput: 0.025, output: 0.4 },
};

/** The price of `model`, or null when the table does not list it. */
export const priceOf = (model: string): ModelPrice | null => {
  const exact = MODEL_PRICES[model];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const name of Object.keys(MODEL_PRICES)) {
    if (model.startsWith(`${name}-`) && (best === undefined || name.length > best.length)) best = name;
  }
  return best === undefined ? null : (MODEL_PRICES[best] ?? null);
};

/** Token counts in billing terms (each token in exactly one bucket). */
export interface BillableTokens {
  /** Uncached input. */
  input: number;
  cachedInput: number;
  /** Output, reasoning included. */
  output: number;
}

/** The cost of `tokens` at `model`'s price, or null when the model is not listed. */
export const tokenCostUsd = (model: string, tokens: BillableTokens): number | null => {
  const price = priceOf(model);
  if (price === null) return null;
  return (tokens.input * price.input + tokens.cachedInput * price.cachedInput + tokens.output * price.output) / 1_000_000;
};

/**
 * What a worker's tokens cost: `reported` by the CLI itself (Claude Code's `total_cost_usd`),
 * `priced` from the table, or `unknown` (its model is not reported or not listed: `models` says which).
 */
export type CostReading = { source: 'reported' | 'priced'; usd: number } | { source: 'unknown'; models: string[] };

/** A cost for humans: `$1.23`, `$0.012`, `$0.0012` (two significant digits below a cent). */
export const formatUsd = (usd: number): string => {
  if (!Number.isFinite(usd)) return '$?';
  if (usd === 0) return '$0.00';
  const abs = Math.abs(usd);
  if (abs >= 1) return `$${usd.toFixed(2)}`;
  if (abs >= 0.01) return `$${usd.toFixed(3)}`;
  return `$${usd.toFixed(Math.min(20, 1 - Math.floor(Math.log10(abs))))}`;
};
