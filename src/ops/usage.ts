/**
 * Token usage and cost totals over delegations, from each record's stored `worker_result`
 * (never by re-parsing raw event files, unlike upstream). A worker's total follows upstream:
 * `total_tokens` when present, else input + cached input + output + reasoning output.
 * A worker's cost is the one its CLI reported, else its tokens priced by its kind (src/kinds/prices.ts);
 * a worker with tokens but no known price counts in `cost_unknown_workers`, so `cost_usd` is then
 * only a lower bound, and says so (never a silent partial total).
 */
import type { CostReading } from '../kinds/prices.js';
import { isWorkerKind, kindSpec } from '../kinds/registry.js';
import { asInteger, asString, getKey, isJsonObject, type JsonObject } from '../util/json.js';

export interface UsageTotals extends JsonObject {
  workers_with_usage: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  reasoning_output_tokens: number;
  total_tokens: number;
  /** The sum of the known costs (a lower bound when `cost_unknown_workers` > 0); null when none is known. */
  cost_usd: number | null;
  /** Workers with tokens whose cost is not known (model not reported, or not in the price table). */
  cost_unknown_workers: number;
}

const n = (usage: JsonObject, key: string): number => Math.max(asInteger(getKey(usage, key)) ?? 0, 0);

/** What one delegation adds to the totals; null when its record holds neither usage nor cost. */
export interface UsageContribution {
  /** Token counts: input, cached input, output, reasoning output, total; null without `total_token_usage`. */
  tokens: [number, number, number, number, number] | null;
  cost: number | null;
  /** Tokens whose cost is not known. */
  costUnknown: boolean;
}

/** What a record's tokens cost, by its kind's rule (reported, priced, or unknown). */
export const costOf = (record: JsonObject, usage: JsonObject): CostReading => {
  const requested = asString(getKey(getKey(record, 'worker_request'), 'kind'));
  const readCost = kindSpec(isWorkerKind(requested) ? requested : 'codex').readCost;
  if (readCost === undefined) return { source: 'unknown', models: [] };
  const workerResult = getKey(record, 'worker_result');
  const request = getKey(record, 'worker_request');
  return readCost({ usage, workerResult: isJsonObject(workerResult) ? workerResult : {}, request: isJsonObject(request) ? request : {} });
};

export const usageOf = (record: JsonObject): UsageContribution | null => {
  const result = getKey(record, 'worker_result');
  const usage = getKey(result, 'total_token_usage');
  const rawCost = getKey(result, 'cost_usd');
  const reported = typeof rawCost === 'number' && Number.isFinite(rawCost) ? rawCost : null;
  if (!isJsonObject(usage)) return reported === null ? null : { tokens: null, cost: reported, costUnknown: false };
  const reading = costOf(record, usage);
  const cost = reading.source === 'unknown' ? null : reading.usd;
  // Claude names its cache reads differently; both count as cached input.
  const cached = n(usage, 'cached_input_tokens') + n(usage, 'cache_read_input_tokens');
  const input = n(usage, 'input_tokens') + n(usage, 'cache_creation_input_tokens');
  const output = n(usage, 'output_tokens');
  const reasoning = n(usage, 'reasoning_output_tokens');
  const total = asInteger(getKey(usage, 'total_tokens')) ?? input + cached + output + reasoning;
  return { tokens: [input, cached, output, reasoning, total], cost, costUnknown: cost === null };
};

/**
 * Folds contributions in order (the order matters only to the last bits of the cost sum, which
 * is rounded to micro-dollars).
 */
export const sumUsageContributions = (contributions: Iterable<UsageContribution | null>): UsageTotals => {
  // Plain local sums (a field that turns from null to a number, or past the small-integer range,
  // changes the object's shape under V8 once per status: slow over 10k workers), the object at the end.
  let workers = 0;
  let input = 0;
  let cached = 0;
  let output = 0;
  let reasoning = 0;
  let total = 0;
  let cost = 0;
  let costKnown = false;
  let costUnknown = 0;
  for (const c of contributions) {
    if (c === null) continue;
    if (c.cost !== null) {
      cost += c.cost;
      costKnown = true;
    }
    if (c.costUnknown) costUnknown += 1;
    const tokens = c.tokens;
    if (tokens === null) continue;
    workers += 1;
    input += tokens[0];
    cached += tokens[1];
    output += tokens[2];
    reasoning += tokens[3];
    total += tokens[4];
  }
  return {
    workers_with_usage: workers,
    input_tokens: input,
    cached_input_tokens: cached,
    output_tokens: output,
    reasoning_output_tokens: reasoning,
    total_tokens: total,
    cost_usd: costKnown ? Math.round(cost * 1e6) / 1e6 : null,
    cost_unknown_workers: costUnknown,
  };
};

function* mapIterable<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}

export const sumUsage = (records: Iterable<JsonObject>): UsageTotals => sumUsageContributions(mapIterable(records, usageOf));
