/**
 * The runtime config keys: one zod schema each (with the expectation used in error messages),
 * and the names each source uses for it. Everything else about a key is derived from this table.
 */
import * as z from 'zod/mini';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from './defaults.js';

export type RuntimeConfigKey = keyof RuntimeConfig;

interface KeySpec {
  schema: z.ZodMiniType<number | boolean>;
  expected: string;
  description: string;
  valueName: string;
}

const positiveMs = z.number().check(z.int(), z.positive());
const nonNegativeMs = z.number().check(z.int(), z.nonnegative());

export const RUNTIME_CONFIG_KEYS: Record<RuntimeConfigKey, KeySpec> = {
  worker_stuck_after_ms: {
    schema: positiveMs,
    expected: 'a positive integer (milliseconds)',
    description: "progress age at which a running worker is stale / timed out (caps the record's own thresholds)",
    valueName: 'ms',
  },
  worker_quiet_after_ms: {
    schema: positiveMs,
    expected: 'a positive integer (milliseconds)',
    description: 'progress age at which a running worker is quiet',
    valueName: 'ms',
  },
  worker_kill_grace_ms: {
    schema: nonNegativeMs,
    expected: 'a non-negative integer (milliseconds)',
    description: 'time between SIGTERM and SIGKILL when reclaiming',
    valueName: 'ms',
  },
  worker_auto_reclaim_enabled: {
    schema: z.boolean(),
    expected: 'true or false',
    description: 'the supervisor reclaims stuck workers by itself',
    valueName: 'bool',
  },
  worker_max_retries_per_phase: {
    schema: nonNegativeMs,
    expected: 'a non-negative integer',
    description: 'retries of a failed or reclaimed delegation',
    valueName: 'n',
  },
  worker_retry_backoff_ms: {
    schema: nonNegativeMs,
    expected: 'a non-negative integer (milliseconds)',
    description: 'backoff before the first retry, doubling per retry',
    valueName: 'ms',
  },
};

export const RUNTIME_CONFIG_KEY_NAMES = Object.keys(RUNTIME_CONFIG_KEYS) as RuntimeConfigKey[];

export const isRuntimeConfigKey = (name: string): name is RuntimeConfigKey => Object.hasOwn(RUNTIME_CONFIG_KEYS, name);

/** `worker_stuck_after_ms` → `--worker-stuck-after-ms`, `CAPTAIN_WORKER_STUCK_AFTER_MS`, `workerStuckAfterMs`. */
export const flagName = (key: RuntimeConfigKey): string => `--${key.replaceAll('_', '-')}`;
export const envName = (key: RuntimeConfigKey): string => `CAPTAIN_${key.toUpperCase()}`;
export const attributeName = (key: RuntimeConfigKey): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The default of a key as help texts show it (from `DEFAULT_RUNTIME_CONFIG`, the one place defaults live). */
export const describeDefault = (key: RuntimeConfigKey): string => {
  const value = DEFAULT_RUNTIME_CONFIG[key];
  return value === undefined ? 'half the stale threshold' : String(value);
};

/** What the CLI declares: one flag per key, derived from the table; the help text ends with the default. */
export const RUNTIME_CONFIG_FLAGS = RUNTIME_CONFIG_KEY_NAMES.map((key) => ({
  key,
  flags: `${flagName(key)} <${RUNTIME_CONFIG_KEYS[key].valueName}>`,
  attribute: attributeName(key),
  description: `${RUNTIME_CONFIG_KEYS[key].description} (default ${describeDefault(key)})`,
}));

/** The closest known key, for "did you mean" hints. */
export const closestKey = (name: string): RuntimeConfigKey | undefined => {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = row[j]!;
        row[j] = next;
      }
    }
    return row[b.length]!;
  };
  const ranked = RUNTIME_CONFIG_KEY_NAMES.map((key) => ({ key, d: distance(name.toLowerCase(), key) })).sort((x, y) => x.d - y.d);
  return ranked[0] !== undefined && ranked[0].d <= Math.max(3, Math.floor(name.length / 3)) ? ranked[0].key : undefined;
};
