/** Temp git repositories and runs for the worktree tests (real git, the real CLI). */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { openRunContext, type RunContext } from '../../src/ops/context.js';
import { readJsonObjectSync } from '../../src/store/json-file.js';
import { delegationPath } from '../../src/store/paths.js';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import type { JsonObject } from '../../src/util/json.js';
import { worktreeOf } from '../../src/worktree/record.js';
import { CLI, runCaptain, type CliResult } from '../helpers/cli.js';
import { sleep } from '../helpers/worker-harness.js';

export interface TempRepo {
  root: string;
  /** The user's checkout. */
  dir: string;
  git(...args: string[]): string;
  write(name: string, text: string): void;
  remove(): void;
}

/** A repository with one commit: `a.txt` (lines one..five), `b.txt`, `c.txt`, `d.txt`, and a .gitignore of `*.log`. */
export const makeRepo = (): TempRepo => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'captain-wt-')));
  const dir = join(root, 'repo');
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  git('config', 'user.name', 'Test User');
  git('config', 'user.email', 'test@example.com');
  const write = (name: string, text: string): void => writeFileSync(join(dir, name), text);
  write('a.txt', 'one\ntwo\nthree\nfour\nfive\n');
  write('b.txt', 'bee\n');
  write('c.txt', 'sea\n');
  write('d.txt', 'dee\n');
  write('.gitignore', '*.log\n');
  git('add', '-A');
  git('commit', '-qm', 'initial');
  return { root, dir, git, write, remove: () => rmSync(root, { recursive: true, force: true }) };
};

/** `captain start` in the repo; returns the run dir. */
export const startRun = (repo: TempRepo, extra: string[] = []): string => {
  const out = runCaptain(['start', '--title', 'worktree test', '--json', ...extra], { cwd: repo.dir });
  if (out.code !== 0) throw new Error(out.stderr);
  return String((JSON.parse(out.stdout) as JsonObject).run_dir);
};

/** Runs the CLI as a child process without blocking (to start several at once). */
export const captainAsync = (args: string[], cwd: string): Promise<CliResult> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** `captain delegate --kind command --worktree ... -- sh -c SCRIPT`; returns the delegation id. */
export const delegateShell = async (runDir: string, cwd: string, script: string, extra: string[] = []): Promise<string> => {
  const out = await captainAsync(['delegate', '--run-dir', runDir, '--kind', 'command', '--worktree', '--json', ...extra, '--', 'sh', '-c', script], cwd);
  if (out.code !== 0) throw new Error(`delegate failed (${out.code}): ${out.stderr}`);
  return String((JSON.parse(out.stdout) as JsonObject).delegation_id);
};

export const context = (runDir: string): RunContext => openRunContext(runDir, DEFAULT_RUNTIME_CONFIG);
export const recordOf = (runDir: string, id: string): JsonObject => readJsonObjectSync(delegationPath(runDir, id));

/** Waits until every delegation is terminal and (the wrapper's finalizer having run) collected. */
export const waitCollected = async (runDir: string, ids: string[], timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = ids.filter((id) => {
      const record = recordOf(runDir, id);
      return !['completed', 'failed', 'cancelled'].includes(childStatusOf(record)) || worktreeOf(record)?.collected_at === undefined;
    });
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`not collected in time: ${pending.join(', ')}`);
    await sleep(100);
  }
};

export const json = (out: CliResult): JsonObject => {
  if (out.code !== 0) throw new Error(`exit ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as JsonObject;
};
