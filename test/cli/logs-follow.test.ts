/**
 * `captain logs --follow` (driven by watchRun): prints a running worker's events as they come, each
 * once, and exits by itself when the worker's record turns terminal (no supervisor running).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import { delegate } from '../../src/ops/delegate.js';
import { findDelegation } from '../../src/ops/worker.js';
import { CLI } from '../helpers/cli.js';
import { fixturePath } from '../helpers/worker-harness.js';
import { newRun, removeRuns } from '../supervisor/harness.js';

describe('captain logs --follow', () => {
  after(removeRuns);

  it('streams the events as the worker writes them, each once, and exits when it ends', async () => {
    const ctx = newRun('logs-follow');
    const worker = await delegate(ctx, { kind: 'codex', command: [process.execPath, fixturePath('emit-jsonl.mjs'), '6', '250'], cwd: ctx.runDir });
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'logs', '--run-dir', ctx.runDir, '--delegation', worker.delegation_id, '--follow'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const arrivals = new Map<string, number>();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      for (const match of stdout.matchAll(/message (\d) of 6/g)) if (!arrivals.has(match[0])) arrivals.set(match[0], Date.now() - started);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(killer);
    assert.equal(code, 0, `exited by itself once the worker ended: ${stderr}`);
    for (let i = 1; i <= 6; i++) assert.equal(stdout.split(`message ${i} of 6`).length - 1, 1, `message ${i} printed once:\n${stdout}`);
    assert.ok(arrivals.get('message 6 of 6')! - arrivals.get('message 1 of 6')! >= 600, `printed as they came: ${JSON.stringify([...arrivals])}`);
    assert.notEqual(childStatusOf(findDelegation(ctx, worker.delegation_id).record), 'running');
  });
});
