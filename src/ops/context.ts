/**
 * What every operation on a run needs: the run directory, its run.json, the resolved runtime
 * config, the clock, and the caller's path policy. Built once per command by the adapters.
 */
import type { RuntimeConfig } from '../config/defaults.js';
import { activeTaskCardId, openRunDir } from '../store/run-dir.js';
import type { JsonObject } from '../util/json.js';

export interface RunContext {
  runDir: string;
  run: JsonObject;
  config: RuntimeConfig;
  /** Let `raw_events_file` paths point outside the run directory. */
  allowOutsidePaths: boolean;
  /** The clock (milliseconds since the epoch); tests pass a fixed one. */
  now: () => number;
}

export const openRunContext = (
  runRef: string,
  config: RuntimeConfig,
  opts: { allowOutsidePaths?: boolean; now?: () => number } = {},
): RunContext => {
  const { runDir, run } = openRunDir(runRef);
  return { runDir, run, config, allowOutsidePaths: opts.allowOutsidePaths ?? false, now: opts.now ?? Date.now };
};

/** The task card an operation targets: the explicit one, else run.json's active one, else null. */
export const targetTaskCardId = (ctx: RunContext, explicit: string | undefined): string | null =>
  explicit !== undefined && explicit.trim() !== '' ? explicit : activeTaskCardId(ctx.run);
