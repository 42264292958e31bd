/**
 * `maxParallel: 'auto'` in the supervisor with a fake machine injected (cores and MemAvailable): the
 * limit from the cores holds the number of running workers; free memory under the floor holds every
 * launch (queued workers say why) until memory comes back. Real fixture workers, real run dir.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import type { MachineLoad } from '../../src/lifecycle/parallel-limit.js';
import { startSupervisor } from '../../src/supervisor/supervisor.js';
import type { JsonObject } from '../../src/util/json.js';
import { sleep, waitFor } from '../helpers/worker-harness.js';
import { fannedIn, fixture, newRun, records, removeRuns } from './harness.js';

after(removeRuns);
const GiB = 1024 ** 3;
const running = (all: JsonObject[]): number => all.filter((r) => childStatusOf(r) === 'running').length;

describe('supervisor with --max-parallel auto', () => {
  it('one core: at most two workers run at once; under the memory floor nothing launches, saying why', async () => {
    const ctx = newRun('auto-parallel');
    let machine: MachineLoad = { cores: 1, memAvailableBytes: 0.5 * GiB };
    // Five workers of ~1.2 s each; the first is launched by delegate (limit 1), the rest queue.
    for (let i = 0; i < 5; i += 1) await fixture(ctx, 'emit-jsonl.mjs', ['3', '300'], { maxParallel: 1 });
    const supervisor = await startSupervisor(ctx, { maxParallel: 'auto', machineLoad: () => machine });
    try {
      await sleep(2_500);
      const held = records(ctx).filter((r) => childStatusOf(r) === 'queued');
      assert.equal(held.length, 4, 'under the floor: nothing launched');
      for (const r of held) assert.match(String((r.worker_lifecycle as JsonObject).hold_reason), /^free memory 512 MiB under the floor of 1024 MiB/);

      machine = { cores: 1, memAvailableBytes: 16 * GiB };
      let peak = 0;
      const deadline = Date.now() + 25_000;
      while (!fannedIn(ctx) && Date.now() < deadline) {
        peak = Math.max(peak, running(records(ctx)));
        await sleep(50);
      }
      assert.ok(fannedIn(ctx), 'all ran once memory came back');
      assert.equal(peak, 2, 'one core × 2 workers per core');
      assert.ok(records(ctx).every((r) => childStatusOf(r) === 'completed' && (r.worker_lifecycle as JsonObject).hold_reason === undefined));
    } finally {
      await supervisor.stop();
    }
  });

  it('little memory above the floor limits where the cores would not', async () => {
    const ctx = newRun('auto-parallel-memory');
    // 16 cores (32 by cores) but 2.2 GiB free: two 512 MiB workers fit above the 1 GiB floor.
    const machine: MachineLoad = { cores: 16, memAvailableBytes: 2.2 * GiB };
    for (let i = 0; i < 5; i += 1) await fixture(ctx, 'emit-jsonl.mjs', ['3', '300'], { maxParallel: 1 });
    const supervisor = await startSupervisor(ctx, { maxParallel: 'auto', machineLoad: () => machine });
    try {
      let peak = 0;
      await waitFor(() => {
        peak = Math.max(peak, running(records(ctx)));
        return fannedIn(ctx);
      }, 'fan-in', 25_000);
      assert.equal(peak, 2, 'two fit in the memory above the floor');
    } finally {
      await supervisor.stop();
    }
  });
});
