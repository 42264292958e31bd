/**
 * Token usage and cost totals over delegations, from each record's stored `worker_result`
 * (never by re-parsing raw event files, unlike upstream). A worker's total follows upstream:
 * `total_tokens` when present, else input + cached input + output + reasoning output.
 */
import { asInteger, getKey, isJsonObject, type JsonObject } from '../util/json.js';

export interface UsageTotals extends JsonObject {
  workers_with_usage: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
  cost_usd: number | null;
}

const n = (usage: JsonObject, key: string): number => Math.max(asInteger(getKey(usage, key)) ?? 0, 0);

/** What one delegation adds to the totals; null when its record holds neither usage nor cost. */
export interface UsageContribution {
  /** Token counts: input, cached input, output, reasoning output, total; null without `total_token_usage`. */
  tokens: [number, number, number, number, number] | null;
  cost: number | null;
}

export const usageOf = (record: JsonObject): UsageContribution | null => {
  const result = getKey(record, 'worker_result');
  const usage = getKey(result, 'total_token_usage');
  const rawCost = getKey(result, 'cost_usd');
  const cost = typeof rawCost === 'number' && Number.isFinite(rawCost) ? rawCost : null;
  if (!isJsonObject(usage)) return cost === null ? null : { tokens: null, cost };
  // Claude names its cache reads differently; both count as cached input.
  const cached = n(usage, 'cached_input_tokens') + n(usage, 'cache_read_input_tokens');
  const input = n(usage, 'input_tokens') + n(usage, 'cache_creation_input_tokens');
  const output = n(usage, 'output_tokens');
  const reasoning = n(usage, 'reasoning_output_tokens');
  const total = asInteger(getKey(usage, 'total_tokens')) ?? input + cached + output + reasoning;
  return { tokens: [input, cached, output, reasoning, total], cost };
};

/**
 * Folds contributions in order (the order matters only to the last bits of the cost sum, which
 * is rounded to micro-dollars).
 */
export const sumUsageContributions = (contributions: Iterable<UsageContribution | null>): UsageTotals => {
  const totals: UsageTotals = {
    workers_with_usage: 0,
    input_tokens: 0,
    cached_input_tokens: 0,
    output_tokens: 0,
    reasoning_output_tokens: 0,
    total_tokens: 0,
    cost_usd: null,
  };
  for (const c of contributions) {
    if (c === null) continue;
    if (c.cost !== null) totals.cost_usd = (totals.cost_usd ?? 0) + c.cost;
    if (c.tokens === null) continue;
    totals.workers_with_usage += 1;
    totals.input_tokens += c.tokens[0];
    totals.cached_input_tokens += c.tokens[1];
    totals.output_tokens += c.tokens[2];
    totals.reasoning_output_tokens += c.tokens[3];
    totals.total_tokens += c.tokens[4];
  }
  if (totals.cost_usd !== null) totals.cost_usd = Math.round(totals.cost_usd * 1e6) / 1e6;
  return totals;
};

function* mapIterable<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

export const sumUsage = (records: Iterable<JsonObject>): UsageTotals => sumUsageContributions(mapIterable(records, usageOf));
