/** Helpers the kinds share to price a record's tokens. */
import { asInteger, asString, getKey, type Json, type JsonObject } from '../util/json.js';
import { tokenCostUsd, type BillableTokens, type CostReading } from './prices.js';

/** A non-negative integer count at `key` (0 when absent or malformed). */
export const countOf = (usage: Json | undefined, key: string): number => Math.max(asInteger(getKey(usage, key)) ?? 0, 0);

/** The CLI's own cost (`worker_result.cost_usd`), when it reported one. */
export const reportedCost = (workerResult: JsonObject): CostReading | null => {
  const cost = getKey(workerResult, 'cost_usd');
  return typeof cost === 'number' && Number.isFinite(cost) ? { source: 'reported', usd: cost } : null;
};

/** `tokens` priced at `model`; unknown when there is no model or the table does not list it. */
export const priceTokens = (model: string | null | undefined, tokens: BillableTokens): CostReading => {
  if (model === null || model === undefined || model === '') return { source: 'unknown', models: ['(model not reported)'] };
  const usd = tokenCostUsd(model, tokens);
  return usd === null ? { source: 'unknown', models: [model] } : { source: 'priced', usd };
};

/** `worker_result.model` when the stream named it. */
export const reportedModel = (workerResult: JsonObject): string | undefined => asString(getKey(workerResult, 'model'))?.trim() || undefined;
