/**
 * What can only fail at spawn: a queued worker whose program was removed after `delegate` checked
 * it. The wrapper's `setsid` cannot execute it; the result is `spawn_failed` with the reason, and
 * it is not retried.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { delegate } from '../../src/ops/delegate.js';
import { cancelDelegation } from '../../src/ops/worker.js';
import type { JsonObject } from '../../src/util/json.js';
import { waitFor } from '../helpers/worker-harness.js';
import { exitOf, fixture, newRun, records, removeRuns, spawnSupervise } from './harness.js';

describe('a program gone by the time it is spawned', () => {
  after(removeRuns);

  it('is recorded as spawn_failed naming what setsid said, and not retried', async () => {
    const ctx = newRun('spawn failure');
    const blocker = await fixture(ctx, 'hang.mjs', [], { maxParallel: 1 });
    const script = join(ctx.runDir, 'later.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o755);
    const queued = await delegate(ctx, { kind: 'command', argv: [script], cwd: ctx.runDir, maxParallel: 1 });
    assert.equal(queued.state, 'queued');
    rmSync(script);
    const supervisor = spawnSupervise(ctx, ['--max-parallel', '1', '--worker-max-retries-per-phase', '2']);
    try {
      await cancelDelegation(ctx, blocker.delegation_id);
      const record = (): JsonObject | undefined => records(ctx).find((r) => r.delegation_id === queued.delegation_id);
      await waitFor(() => (record()?.child_agent as JsonObject | undefined)?.status === 'failed', 'the queued worker to fail at spawn', 15_000);
      const result = record()!.worker_result as JsonObject;
      assert.equal(result.failure_reason, 'spawn_failed');
      assert.match(String(record()!.result_summary), /setsid: failed to execute .*later\.sh/);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(records(ctx).length, 2, 'a spawn failure is not retried');
    } finally {
      supervisor.kill('SIGTERM');
      await exitOf(supervisor);
    }
  });
});
