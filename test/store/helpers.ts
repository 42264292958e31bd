/** Shared bits of the store tests: temp dirs removed after each test, and fixture child processes. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'store');

/** A fresh real temp dir, removed when the test ends. */
export const tempDir = (t: TestContext): string => {
  const dir = mkdtempSync(join(tmpdir(), 'captain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** Starts `test/fixtures/store/<name>` under tsx; killed when the test ends if still running. */
export const spawnFixture = (t: TestContext, name: string, args: string[]): ChildProcessWithoutNullStreams => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, name), ...args], { cwd: REPO_ROOT });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
};

/** Resolves once the child prints `line` on stdout; rejects if it exits first. */
export const waitForLine = (child: ChildProcessWithoutNullStreams, line: string): Promise<void> =>
  new Promise((resolvePromise, reject) => {
    let seen = '';
    let stderr = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8');
      if (seen.split('\n').includes(line)) {
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        resolvePromise();
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`fixture exited (${code}) before printing ${line}: ${stderr}`));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });

/** Everything the child prints, once it exits. */
export const finished = (child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolvePromise) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
