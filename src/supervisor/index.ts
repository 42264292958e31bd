/** The run supervisor (one per run) and the helpers that make it crash-only. */
export { startSupervisor, type Supervisor, type SupervisorOptions } from './supervisor.js';
export { superviseUnlessHeld } from './supervise-unless-held.js';
export { acquireSupervisorSlot, alreadySupervised, currentHolder, supervisorFile, type Holder } from './holder.js';
export { CRASH_AT_ENV, type CrashPointName } from './crash-point.js';
