/**
 * The launch environment of a worker, recorded so that a retry (started later, maybe by a
 * supervisor with another environment) runs the way the first launch did. Only the variables a
 * kind of worker depends on are recorded, and the values of secrets never reach the disk: they
 * are stored as `[redacted]` and taken again from the launching process's environment, and a
 * launch that lacks one fails saying which.
 */
import type { WorkerKind } from '../events/types.js';
import { kindSpec } from '../kinds/registry.js';

export const REDACTED = '[redacted]';

/** Variables every worker depends on (each kind adds the prefixes its spec lists: `envPrefixes`). */
const COMMON = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SHELL', 'USER'];

/** A name whose value is a secret (never written to disk). */
export const isSecretName = (name: string): boolean => /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL|AUTH/i.test(name);

/** The variables of `env` a worker of `kind` depends on, secrets redacted. */
export const captureLaunchEnv = (kind: WorkerKind, env: NodeJS.ProcessEnv): Record<string, string> => {
  const wanted = (name: string): boolean => COMMON.includes(name) || kindSpec(kind).envPrefixes.some((prefix) => name.startsWith(prefix)) || name.startsWith('LC_');
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !wanted(name)) continue;
    out[name] = isSecretName(name) ? REDACTED : value;
  }
  return out;
};

/**
 * The environment to start a worker with: the launcher's own, then the recorded launch
 * environment (redacted entries filled from the launcher's), then the explicit `--env` values.
 * `missing` names redacted secrets the launcher does not have.
 */
export const restoreLaunchEnv = (
  recorded: Record<string, string>,
  explicit: Record<string, string>,
  current: NodeJS.ProcessEnv,
): { env: NodeJS.ProcessEnv; missing: string[] } => {
  const env: NodeJS.ProcessEnv = { ...current };
  const missing: string[] = [];
  for (const [name, value] of Object.entries(recorded)) {
    if (value !== REDACTED) env[name] = value;
    else if (current[name] === undefined && explicit[name] === undefined) missing.push(name);
  }
  return { env: { ...env, ...explicit }, missing };
};
