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

export const sumUsage = (records: Iterable<JsonObject>): UsageTotals => {
  const totals: UsageTotals = {
    workers_with_usage: 0,
    input_tokens: 0,
    cached_input_tokens: 0,
    output_tokens: 0,
    reasoning_output_tokens: 0,
    total_tokens: 0,
    cost_usd: null,
  };
  for (const record of records) {
    const result = getKey(record, 'worker_result');
    const usage = getKey(result, 'total_token_usage');
    const cost = getKey(result, 'cost_usd');
    if (typeof cost === 'number' && Number.isFinite(cost)) totals.cost_usd = (totals.cost_usd ?? 0) + cost;
    if (!isJsonObject(usage)) continue;
    totals.workers_with_usage += 1;
    // Claude names its cache reads differently; both count as cached input.
    const cached = n(usage, 'cached_input_tokens') + n(usage, 'cache_read_input_tokens');
    const input = n(usage, 'input_tokens') + n(usage, 'cache_creation_input_tokens');
    const output = n(usage, 'output_tokens');
    const reasoning = n(usage, 'reasoning_output_tokens');
    totals.input_tokens += input;
    totals.cached_input_tokens += cached;
    totals.output_tokens += output;
    totals.reasoning_output_tokens += reasoning;
    totals.total_tokens += asInteger(getKey(usage, 'total_tokens')) ?? input + cached + output + reasoning;
  }
  if (totals.cost_usd !== null) totals.cost_usd = Math.round(totals.cost_usd * 1e6) / 1e6;
  return totals;
};
