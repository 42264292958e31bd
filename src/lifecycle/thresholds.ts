import type { RuntimeConfig } from '../config/defaults.js';
import { LIFECYCLE_FALLBACK_STALE_AFTER_MS } from '../config/defaults.js';
import { getKey, isFloatLiteral, type Json } from '../util/json.js';

export interface EffectiveThresholds {
  quiet_after_ms: number;
  stale_after_ms: number;
  timeout_after_ms: number;
}

const positive = (value: number | undefined): number | undefined =>
  value !== undefined && value > 0 ? value : undefined;

const I64_LIMIT = 2 ** 63;

/**
 * The seed's `Value::as_i64` over its whole range: any integral JSON number below 2^63 in magnitude,
 * not only the safe integers `asInteger` takes. To the seed a record threshold of 9007199254740993
 * is an i64, so it caps nothing and must not fall back to the stale threshold. Past 2^53 the value
 * is inexact, but it only enters `min(configured, record)`, which the configured value wins.
 */
const asI64 = (value: Json | undefined): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= -I64_LIMIT && value < I64_LIMIT ? value : undefined;

/**
 * `lifecycle.get(key).and_then(Value::as_i64)`: a float literal on disk (`10000.0`, `2e4`) is an f64
 * to serde_json, so absent, even though JSON.parse made it an integer (marked by the record reader).
 */
const recordI64 = (lifecycle: Json, key: string): number | undefined => {
  const value = asI64(getKey(lifecycle, key));
  return value === undefined || isFloatLiteral(lifecycle, key) ? undefined : value;
};

/**
 * The seed's threshold rules: the configured stuck threshold caps the record's own stale and
 * timeout thresholds; quiet comes from config, else the record, clamped to [1, stale], else stale / 2.
 */
export const effectiveThresholds = (lifecycle: Json, config: RuntimeConfig): EffectiveThresholds => {
  const configuredStuck = positive(config.worker_stuck_after_ms);
  const recordStale = positive(recordI64(lifecycle, 'stale_after_ms')) ?? LIFECYCLE_FALLBACK_STALE_AFTER_MS;
  const recordTimeout = positive(recordI64(lifecycle, 'timeout_after_ms')) ?? recordStale;
  const stale = configuredStuck === undefined ? recordStale : Math.min(configuredStuck, recordStale);
  const timeout = configuredStuck === undefined ? recordTimeout : Math.min(configuredStuck, recordTimeout);
  const quietSource = positive(config.worker_quiet_after_ms) ?? positive(recordI64(lifecycle, 'quiet_after_ms'));
  const quiet = quietSource === undefined ? Math.max(Math.floor(stale / 2), 1) : Math.max(Math.min(quietSource, stale), 1);
  return { quiet_after_ms: quiet, stale_after_ms: stale, timeout_after_ms: timeout };
};
