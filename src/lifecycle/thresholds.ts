import type { RuntimeConfig } from '../config/defaults.js';
import { LIFECYCLE_FALLBACK_STALE_AFTER_MS } from '../config/defaults.js';
import { asInteger, getKey, type Json } from '../util/json.js';

export interface EffectiveThresholds {
  quiet_after_ms: number;
  stale_after_ms: number;
  timeout_after_ms: number;
}

const positive = (value: number | undefined): number | undefined =>
  value !== undefined && value > 0 ? value : undefined;

/**
 * The seed's threshold rules: the configured stuck threshold caps the record's own stale and
 * timeout thresholds; quiet comes from config, else the record, clamped to [1, stale], else stale / 2.
 */
export const effectiveThresholds = (lifecycle: Json, config: RuntimeConfig): EffectiveThresholds => {
  const configuredStuck = positive(config.worker_stuck_after_ms);
  const recordStale = positive(asInteger(getKey(lifecycle, 'stale_after_ms'))) ?? LIFECYCLE_FALLBACK_STALE_AFTER_MS;
  const recordTimeout = positive(asInteger(getKey(lifecycle, 'timeout_after_ms'))) ?? recordStale;
  const stale = configuredStuck === undefined ? recordStale : Math.min(configuredStuck, recordStale);
  const timeout = configuredStuck === undefined ? recordTimeout : Math.min(configuredStuck, recordTimeout);
  const quietSource = positive(config.worker_quiet_after_ms) ?? positive(asInteger(getKey(lifecycle, 'quiet_after_ms')));
  const quiet = quietSource === undefined ? Math.max(Math.floor(stale / 2), 1) : Math.max(Math.min(quietSource, stale), 1);
  return { quiet_after_ms: quiet, stale_after_ms: stale, timeout_after_ms: timeout };
};
