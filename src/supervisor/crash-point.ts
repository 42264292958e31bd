/**
 * Fault injection for the crash-only tests: with `CAPTAIN_SUPERVISOR_CRASH_AT=<point>[#n]` in its
 * environment, the supervisor SIGKILLs itself the n-th time (default 1st) it reaches `<point>`, so
 * a test can kill it exactly between two writes (e.g. after a retry is created but before it is
 * logged). Unset (always, outside tests), `crashPoint` does nothing.
 */

/** The places between two durable writes where the supervisor can be made to die. */
export type CrashPointName =
  | 'transition_logged'
  | 'retry_created'
  | 'retry_stamped'
  | 'fan_in_stamped'
  | 'queued_launched'
  | 'hook_claimed'
  | 'hook_started';

export const CRASH_AT_ENV = 'CAPTAIN_SUPERVISOR_CRASH_AT';

const hits = new Map<string, number>();

/** Dies by SIGKILL here when the environment asks for it (tests only). */
export const crashPoint = (name: CrashPointName): void => {
  const wanted = process.env[CRASH_AT_ENV];
  if (wanted === undefined || wanted === '') return;
  const [point, nth] = wanted.split('#');
  if (point !== name) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  if (count >= Number(nth ?? '1')) process.kill(process.pid, 'SIGKILL');
};
