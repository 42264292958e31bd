/**
 * How each kind of worker is started: the argv (never through a shell), extra env, and whether
 * it needs stdin. Codex gets `exec --json`, Claude Code `-p --output-format stream-json --verbose`,
 * and a command runs as given.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CaptainError } from '../errors.js';
import type { WorkerKind } from '../events/types.js';
import { resolveClaudeBin, resolveCodexBin, type WorkerLauncher } from './binaries.js';

export interface WorkerSpec {
  kind: WorkerKind;
  /** codex / claude: the task. */
  prompt?: string;
  /** command: the argv to run. codex / claude: extra flags passed through to the CLI. */
  argv?: string[];
  /** codex: `-s MODE`. */
  sandbox?: string;
  /** The worker's working directory. */
  cwd: string;
  /** An explicit binary for codex / claude (else PATH, else the project's node_modules). */
  bin?: string;
  /** An explicit launcher (executable, leading args, env) for codex / claude; wins over `bin`. */
  launcher?: WorkerLauncher;
}

export interface WorkerCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'];

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

/** How to start codex / claude: an explicit launcher or binary, else `codex` / `claude` on PATH, else a node_modules copy. */
export const launcherFor = (kind: 'codex' | 'claude', bin: string | undefined, launcher?: WorkerLauncher): WorkerLauncher => {
  if (launcher !== undefined) return launcher;
  if (bin !== undefined) return { command: bin, args: [], env: {} };
  const found = onPath(kind);
  if (found !== undefined) return { command: found, args: [], env: {} };
  return kind === 'codex' ? resolveCodexBin() : resolveClaudeBin();
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
  switch (spec.kind) {
    case 'codex': {
      const prompt = requirePrompt(spec);
      if (spec.sandbox !== undefined && !SANDBOX_MODES.includes(spec.sandbox)) {
        throw new CaptainError('USAGE', `--sandbox ${spec.sandbox}: expected one of ${SANDBOX_MODES.join(', ')}`);
      }
      const launcher = launcherFor('codex', spec.bin, spec.launcher);
      const args = [...launcher.args, 'exec', '--json', '--skip-git-repo-check', '-C', spec.cwd];
      if (spec.sandbox !== undefined) args.push('-s', spec.sandbox);
      // `--` ends the flags, so a prompt that starts with "-" is still the prompt.
      return { file: launcher.command, args: [...args, ...extra, '--', prompt], env: launcher.env };
    }
    case 'claude': {
      const prompt = requirePrompt(spec);
      const launcher = launcherFor('claude', spec.bin, spec.launcher);
      // The prompt goes right after -p: flags like --allowedTools take lists and would eat it.
      return { file: launcher.command, args: [...launcher.args, '-p', prompt, '--output-format', 'stream-json', '--verbose', ...extra], env: launcher.env };
    }
    case 'command': {
      const [file, ...args] = extra;
      if (file === undefined || file === '') throw new CaptainError('USAGE', '--kind command needs the argv after `--` (e.g. `-- node worker.js`)');
      return { file, args, env: {} };
    }
  }
};
