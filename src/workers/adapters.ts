/**
 * How a worker is started: the argv (never through a shell) and extra env, from its kind's spec
 * (src/kinds/<kind>/): Codex gets `exec --json`, Claude Code `-p --output-format stream-json
 * --verbose`, Gemini `--prompt=... --output-format stream-json`, and a command runs as given.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CaptainError } from '../errors.js';
import type { WorkerKind } from '../events/types.js';
import { kindSpec } from '../kinds/registry.js';
import type { WorkerLauncher } from './binaries.js';

export interface WorkerSpec {
  kind: WorkerKind;
  /** Agent kinds (codex, claude, gemini): the task. */
  prompt?: string;
  /** command: the argv to run. Agent kinds: extra flags passed through to the CLI. */
  argv?: string[];
  /** codex: `-s MODE`. */
  sandbox?: string;
  /** The worker's working directory. */
  cwd: string;
  /** An explicit binary for an agent kind (else PATH, else the project's node_modules). */
  bin?: string;
  /** An explicit launcher (executable, leading args, env) for an agent kind; wins over `bin`. */
  launcher?: WorkerLauncher;
}

export interface WorkerCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** An executable named `name` on PATH, found without spawning anything. */
const onPath = (name: string): string | undefined => {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
};

/**
 * How to start an agent CLI: an explicit launcher or binary, else its executable on PATH, else a
 * node_modules copy (the kind's `binary.resolve`).
 * @throws CaptainError USAGE for `command` (it has no CLI of its own)
 */
export const launcherFor = (kind: WorkerKind, bin: string | undefined, launcher?: WorkerLauncher): WorkerLauncher => {
  if (launcher !== undefined) return launcher;
  const binary = kindSpec(kind).binary;
  if (binary === null) throw new CaptainError('USAGE', `--kind ${kind} has no CLI binary: give the argv after \`--\``);
  if (bin !== undefined) return { command: bin, args: [], env: {} };
  const found = onPath(binary.executable);
  if (found !== undefined) return { command: found, args: [], env: {} };
  return binary.resolve();
};

const requirePrompt = (spec: WorkerSpec): string => {
  if (spec.prompt === undefined || spec.prompt.trim() === '') {
    throw new CaptainError('USAGE', `--kind ${spec.kind} needs --prompt TEXT (the worker's task)`);
  }
  return spec.prompt;
};

/** The exact process to start for a worker spec. */
export const buildWorkerCommand = (spec: WorkerSpec): WorkerCommand => {
  const extra = spec.argv ?? [];
  const kind = kindSpec(spec.kind);
  if (kind.binary === null) {
    const [file, ...args] = kind.args({ prompt: '', cwd: spec.cwd, sandbox: undefined, extra });
    if (file === undefined || file === '') throw new CaptainError('USAGE', `--kind ${spec.kind} needs the argv after \`--\` (e.g. \`-- node worker.js\`)`);
    return { file, args, env: {} };
  }
  const prompt = requirePrompt(spec);
  // Only kinds with sandbox modes (codex) read --sandbox; the others take their own flags after --.
  const modes = kind.sandboxModes;
  const sandbox = modes === undefined ? undefined : spec.sandbox;
  if (modes !== undefined && sandbox !== undefined && !modes.includes(sandbox)) {
    throw new CaptainError('USAGE', `--sandbox ${sandbox}: expected one of ${modes.join(', ')}`);
  }
  const launcher = launcherFor(spec.kind, spec.bin, spec.launcher);
  return { file: launcher.command, args: [...launcher.args, ...kind.args({ prompt, cwd: spec.cwd, sandbox, extra })], env: launcher.env };
};
