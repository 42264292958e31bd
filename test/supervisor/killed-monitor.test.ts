/**
 * A worker whose monitor was SIGKILLed and that then exited 0: its exit status is unknown, so it
 * is finalized as `exit_status_unknown` (not `execution_failed`), and it is never retried blindly.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { delegate } from '../../src/ops/delegate.js';
import type { JsonObject } from '../../src/util/json.js';
import { procAlive, waitFor } from '../helpers/worker-harness.js';
import { exitOf, newRun, records, removeRuns, spawnSupervise } from './harness.js';

describe('a monitor killed while its worker runs', () => {
  after(removeRuns);

  it('the worker\'s later exit 0 is recorded as exit status unknown and not retried', async () => {
    const ctx = newRun('killed monitor');
    await delegate(ctx, { kind: 'command', argv: ['sh', '-c', 'sleep 1.5; echo finished fine'], cwd: ctx.runDir });
    const lifecycle = (): JsonObject => (records(ctx)[0]?.worker_lifecycle ?? {}) as JsonObject;
    await waitFor(() => typeof (lifecycle().monitor_identity as JsonObject | undefined)?.pid === 'number' && typeof lifecycle().process_id === 'number', 'the monitor to start the worker', 10_000);
    const monitorPid = Number((lifecycle().monitor_identity as JsonObject).pid);
    const workerPid = Number(lifecycle().process_id);
    process.kill(monitorPid, 'SIGKILL');
    await waitFor(() => !procAlive(workerPid), 'the worker to finish on its own', 10_000);
    const supervisor = spawnSupervise(ctx, ['--worker-max-retries-per-phase', '2']);
    try {
      await waitFor(() => (records(ctx)[0]?.child_agent as JsonObject | undefined)?.status !== 'running', 'the record to be finalized', 15_000);
      const record = records(ctx)[0] ?? {};
      assert.equal((record.worker_result as JsonObject).failure_reason, 'exit_status_unknown');
      assert.match(String(record.result_summary), /exit status unknown/);
      assert.doesNotMatch(String(record.result_summary), /code null/);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than the retry backoff (300 ms)
      assert.equal(records(ctx).length, 1, 'no retry was launched');
    } finally {
      supervisor.kill('SIGTERM');
      await exitOf(supervisor);
    }
  });
});
