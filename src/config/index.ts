// TEMPORARY stub until the config module lands.
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from './defaults.js';
export * from './defaults.js';
export const RUNTIME_CONFIG_FLAGS: Array<{ key: keyof RuntimeConfig; flags: string; attribute: string; description: string }> = [
  { key: 'worker_stuck_after_ms', flags: '--worker-stuck-after-ms <ms>', attribute: 'workerStuckAfterMs', description: 'stuck' },
  { key: 'worker_quiet_after_ms', flags: '--worker-quiet-after-ms <ms>', attribute: 'workerQuietAfterMs', description: 'quiet' },
  { key: 'worker_kill_grace_ms', flags: '--worker-kill-grace-ms <ms>', attribute: 'workerKillGraceMs', description: 'grace' },
];
export const resolveRuntimeConfig = (input: { flags?: Record<string, string>; env?: unknown; configFile?: string }): { config: RuntimeConfig } => {
  const config: RuntimeConfig = { ...DEFAULT_RUNTIME_CONFIG };
  for (const [k, v] of Object.entries(input.flags ?? {})) (config as unknown as Record<string, number>)[k] = Number(v);
  return { config };
};
