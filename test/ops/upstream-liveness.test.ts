/**
 * Workers captain did not launch: upstream records carry only `process_id` and
 * `process_started_at`, stamped when upstream first saw the worker (seconds to hours after the
 * real start). captain must read them exactly as upstream's `kill -0` does, and may signal them
 * only when the live process started no later than that stamp (a younger one is a reused pid).
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, utimesSync } from 'node:fs';
import { getStatus } from '../../src/ops/status.js';
import { reclaimStuckWorkers } from '../../src/ops/reclaim.js';
import { captureProcessIdentity } from '../../src/process/identity.js';
import type { JsonObject } from '../../src/util/json.js';
import { formatRfc3339, parseRfc3339Millis } from '../../src/util/time.js';
import { runningDelegation } from '../helpers/records.js';
import { makeTempRun } from '../helpers/run-dir.js';
import { killAllSpawned, procAlive, spawnReady } from '../helpers/worker-harness.js';

const read = (path: string): JsonObject => JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
const lifecycleOf = (path: string): JsonObject => read(path).worker_lifecycle as JsonObject;

describe('upstream records with a live pid', () => {
  const run = makeTempRun();
  afterEach(() => killAllSpawned());
  after(() => run.remove());

  it('a live worker whose process_started_at is seconds to hours after its real start stays running; nothing is written as a verdict', async () => {
    const worker = await spawnReady('hang.mjs');
    const startMs = parseRfc3339Millis(captureProcessIdentity(worker.pid)?.started_at) ?? Number.NaN;
    const now = Date.now();
    const paths = [5_000, 90_000, 3 * 3_600_000].map((lateMs) => {
      const id = `late-${lateMs}`;
      const path = run.writeDelegation(runningDelegation(id, {
        lifecycle: { process_id: worker.pid, process_started_at: formatRfc3339(startMs + lateMs), last_progress_at: formatRfc3339(now - 1_000) },
      }));
      const raw = run.writeRaw(id, '{"type":"thread.started","thread_id":"t"}\n');
      utimesSync(raw, new Date(now - 2_000), new Date(now - 2_000));
      return path;
    });
    const status = getStatus(run.context({}, () => now));
    const states = ((status.worker_visibility as JsonObject).workers as JsonObject[]).map((w) => (w.worker_lifecycle as JsonObject).state);
    assert.deepEqual(states, ['running_active', 'running_active', 'running_active']);
    for (const path of paths) assert.equal((read(path).child_agent as JsonObject).status, 'running', path);
    assert.ok(procAlive(worker.pid));
  });

  it('a stuck upstream worker that started before its stamp is reclaimed (signalled); a younger process under the pid is not', async () => {
    const worker = await spawnReady('hang.mjs');
    const startMs = parseRfc3339Millis(captureProcessIdentity(worker.pid)?.started_at) ?? Number.NaN;
    const stale = formatRfc3339(Date.now() - 120_000);
    const own = run.writeDelegation(runningDelegation('own', { lifecycle: { process_id: worker.pid, process_started_at: formatRfc3339(startMs + 600_000), last_progress_at: stale } }));
    const result = await reclaimStuckWorkers(run.context({ worker_kill_grace_ms: 300 }));
    assert.equal(result.reclaimed.find((r) => r.delegation_id === 'own')?.termination, 'terminated');
    assert.equal(procAlive(worker.pid), false);
    assert.equal(lifecycleOf(own).reclaim_state, 'reclaimed');

    // The pid now names a process that started an hour after the worker was seen: a reused pid.
    const younger = await spawnReady('hang.mjs');
    const youngStart = parseRfc3339Millis(captureProcessIdentity(younger.pid)?.started_at) ?? Number.NaN;
    run.writeDelegation(runningDelegation('reused', { lifecycle: { process_id: younger.pid, process_started_at: formatRfc3339(youngStart - 3_600_000), last_progress_at: stale } }));
    const second = await reclaimStuckWorkers(run.context({ worker_kill_grace_ms: 300 }));
    assert.equal(second.reclaimed.find((r) => r.delegation_id === 'reused')?.termination, 'identity_mismatch');
    assert.ok(procAlive(younger.pid), 'the foreign process was not signalled');
  });
});
