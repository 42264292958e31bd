/** The run supervisor (one per run) and the helpers that make it crash-only. */
export { startSupervisor, type Supervisor, type SupervisorOptions } from './supervisor.js';
export { acquireSupervisorSlot, currentHolder, supervisorFile, type Holder } from './holder.js';
