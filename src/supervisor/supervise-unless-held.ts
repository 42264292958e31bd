/**
 * "Supervise the run if nobody holds it": what `captain wait` and the MCP server do for a run they
 * touch, so that waiting alone drives the run to fan-in.
 */
import { isCaptainError } from '../errors.js';
import type { RunContext } from '../ops/context.js';
import { currentHolder } from './holder.js';
import { startSupervisor, type Supervisor, type SupervisorOptions } from './supervisor.js';

/**
 * Starts a supervisor for the run (with `options`: its hooks `onEvent` / `onError`, `maxParallel`,
 * `command`) unless a live process already holds the run's supervisor slot; null then, and also
 * when another process takes the slot first (it supervises).
 * @throws what `startSupervisor` throws for other reasons (e.g. an unreadable event log).
 */
export const superviseUnlessHeld = async (ctx: RunContext, options: SupervisorOptions = {}): Promise<Supervisor | null> => {
  if (currentHolder(ctx.runDir) !== null) return null;
  try {
    return await startSupervisor(ctx, options);
  } catch (error) {
    // The refusal names the holder that won the race.
    if (isCaptainError(error) && error.code === 'USAGE' && error.data?.['holder'] !== undefined) return null;
    throw error;
  }
};
