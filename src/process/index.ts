/** Process identity, liveness and termination (Linux `/proc`; no process is ever forked to check). */
export { bootId, bootTimeMs, isValidPid, parseProcStat, procAvailable, readProcStat, startTimeMs, type ProcStat } from './proc-stat.js';
export { captureProcessIdentity, isPidAlive, verifyProcessIdentity, type IdentityVerdict, type ProcessIdentity, type RecordedProcess } from './identity.js';
export { isGroupGone, isSignallableGroup, listGroupMembers, signalGroup } from './group.js';
export { terminateWorker, type TerminateOptions, type TerminateTarget, type Termination, type TerminationResult } from './terminate.js';
