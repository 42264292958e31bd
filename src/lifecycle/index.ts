/** The pure lifecycle engine: record + resolved config + now in, the seed's payloads out. No I/O. */
export * from './states.js';
export * from './thresholds.js';
export * from './work-kind.js';
export * from './tick.js';
export * from './derive.js';
export * from './visibility.js';
export * from './reclaim-plan.js';
export * from './mutations.js';
export * from './fan-in.js';
export * from './retry.js';
export * from './phase.js';
export * from './kinds.js';
export * from './budget.js';
export * from './parallel-limit.js';
export * from './lost-launch.js';
export * from './supervisor-plan.js';
