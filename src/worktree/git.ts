/**
 * Running git: `child_process.execFile` with an argv (no shell), a clean environment (no inherited
 * GIT_DIR / GIT_INDEX_FILE / GIT_WORK_TREE that would point git elsewhere), no prompts, and the C
 * locale so messages are stable. Output is bounded (GIT_MAX_OUTPUT_BYTES) and so is time.
 */
import { execFile } from 'node:child_process';
import { GIT_MAX_OUTPUT_BYTES, GIT_TIMEOUT_MS } from '../config/defaults.js';
import { CaptainError } from '../errors.js';

export interface GitOutput {
  stdout: string;
  stderr: string;
  /** The exit code (0 success). */
  code: number;
}

export interface GitOptions {
  /** Extra environment (e.g. a commit identity). */
  env?: Record<string, string>;
  /** Exit codes that are answers, not failures (e.g. 1 for `merge-tree` with conflicts). @default [0] */
  okCodes?: number[];
}

/** Variables that would make git act on another repository, index or tree than the one asked. */
const REPOSITORY_VARIABLES = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_NAMESPACE', 'GIT_PREFIX'];

const gitEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...extra };
  for (const name of REPOSITORY_VARIABLES) if (!(name in extra)) delete env[name];
  return env;
};

/**
 * Runs `git -C cwd ARGS...`.
 * @throws CaptainError GIT when git cannot be started or exits with a code not in `okCodes`
 *   (the message quotes git's first stderr line).
 */
export const git = (cwd: string, args: string[], opts: GitOptions = {}): Promise<GitOutput> =>
  new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-C', cwd, ...args],
      { env: gitEnv(opts.env ?? {}), maxBuffer: GIT_MAX_OUTPUT_BYTES, timeout: GIT_TIMEOUT_MS, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        if ((opts.okCodes ?? [0]).includes(code)) return resolve({ stdout, stderr, code });
        const spawnProblem = error !== null && typeof error.code === 'string' ? ` (${error.code}: is git installed and on PATH?)` : '';
        const firstLine = stderr.split('\n').find((l) => l.trim() !== '') ?? `exit ${code}`;
        reject(new CaptainError('GIT', `git ${args[0] ?? ''} in ${cwd} failed: ${firstLine.trim()}${spawnProblem}`, { data: { cwd, args, code, stderr: stderr.slice(0, 4000) } }));
      },
    );
  });

/** `git ...` and its stdout without the trailing newline. */
export const gitLine = async (cwd: string, args: string[], opts: GitOptions = {}): Promise<string> => (await git(cwd, args, opts)).stdout.replace(/\n$/, '');
