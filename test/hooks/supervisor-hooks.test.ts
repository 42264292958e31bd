/**
 * Hooks through a real `captain supervise --hook ...` process on a real run: a failing worker and
 * the fan-in each fire the hook once, also when the supervisor is SIGKILLed between logging the
 * event and delivering it, or while the hook runs, and then restarted.
 */
import { after, afterEach, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRASH_AT_ENV } from '../../src/supervisor/index.js';
import { waitFor } from '../helpers/worker-harness.js';
import { exitOf, fannedIn, fixture, newRun, removeRuns, spawnSupervise } from '../supervisor/harness.js';

const RECORD_HOOK = fileURLToPath(new URL('../fixtures/hooks/record-hook.mjs', import.meta.url));
after(removeRuns);

const calls = (out: string): Array<Record<string, unknown>> =>
  existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];

describe('supervisor hooks', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  for (const crashAt of [null, 'transition_logged#2', 'hook_claimed', 'hook_started']) {
    it(`worker_failed, fan_in_collapsed and run_idle fire once each${crashAt === null ? '' : `, supervisor SIGKILLed at ${crashAt} and restarted`}`, async () => {
      const ctx = newRun(`hooks-${crashAt ?? 'plain'}`);
      const out = join(ctx.runDir, '..', 'hook-calls.jsonl');
      const hookFlags = ['--worker-max-retries-per-phase', '0', '--hook', `worker_failed,fan_in_collapsed,run_idle=${JSON.stringify([process.execPath, RECORD_HOOK, out, '300'])}`];
      // Registers the hook on the run before any event: a supervisor started with it once.
      await fixture(ctx, 'crash.mjs');
      await fixture(ctx, 'emit-jsonl.mjs', ['2', '30']);
      const first = spawnSupervise(ctx, hookFlags, crashAt === null ? {} : { [CRASH_AT_ENV]: crashAt });
      children.push(first);
      if (crashAt !== null) {
        assert.equal(await exitOf(first), 'SIGKILL', `the supervisor reached ${crashAt}`);
        const second = spawnSupervise(ctx, hookFlags);
        children.push(second);
        await waitFor(() => fannedIn(ctx), 'fan-in after the restart', 20_000);
        await waitFor(() => calls(out).length >= 3, 'the three hooks ran', 10_000);
        second.kill('SIGTERM');
        await exitOf(second);
      } else {
        await waitFor(() => fannedIn(ctx), 'fan-in', 20_000);
        await waitFor(() => calls(out).length >= 3, 'the three hooks ran', 10_000);
        first.kill('SIGTERM');
        await exitOf(first);
      }
      await new Promise((r) => setTimeout(r, 600));
      const got = calls(out);
      assert.deepEqual(got.map((c) => c.event).sort(), ['fan_in_collapsed', 'run_idle', 'worker_failed'], JSON.stringify(got));
      assert.equal(readFileSync(`${out}.pids`, 'utf8').trim().split('\n').length, 3, 'three hook processes, never a fourth');
    });
  }
});
