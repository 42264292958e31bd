/**
 * With a supervisor running, the wrapper leaves finalizing to it: the supervisor must also remove
 * what the worker left in its process group (a grandchild that ignores SIGTERM and holds stdout).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { delegate } from '../../src/ops/delegate.js';
import type { JsonObject } from '../../src/util/json.js';
import { procAlive, trackPid, waitFor } from '../helpers/worker-harness.js';
import { exitOf, newRun, records, removeRuns, spawnSupervise } from './harness.js';

describe('leftovers when the supervisor finalizes', () => {
  after(removeRuns);

  it('a grandchild left in the worker\'s group is killed and recorded in orphans_reaped', async () => {
    const ctx = newRun('leftovers');
    const supervisor = spawnSupervise(ctx);
    try {
      await waitFor(() => existsSync(join(ctx.runDir, 'supervisor.json')), 'the supervisor to hold the run', 10_000);
      const script = `const {spawn}=require('child_process');const g=spawn(process.execPath,['-e','process.on("SIGTERM",()=>{});console.log(JSON.stringify({grandchild:process.pid}));setInterval(()=>{},1e6)'],{stdio:['ignore','inherit','inherit']});setTimeout(()=>process.exit(0),800)`;
      await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', script], cwd: ctx.runDir });
      await waitFor(() => (records(ctx)[0]?.child_agent as JsonObject | undefined)?.status === 'completed', 'the worker to be finalized', 15_000);
      const lifecycle = records(ctx)[0]?.worker_lifecycle as JsonObject;
      const orphans = lifecycle.orphans_reaped as number[] | undefined;
      assert.equal(orphans?.length, 1, JSON.stringify(lifecycle));
      trackPid(orphans![0]!);
      await waitFor(() => !procAlive(orphans![0]!), 'the grandchild to be gone', 5_000);
    } finally {
      supervisor.kill('SIGTERM');
      await exitOf(supervisor);
    }
  });
});
