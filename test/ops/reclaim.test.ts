import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { collapseFanIn } from '../../src/ops/fan-in.js';
import { reclaimStuckWorkers } from '../../src/ops/reclaim.js';
import { cancelDelegation } from '../../src/ops/worker.js';
import { captureProcessIdentity } from '../../src/process/identity.js';
import type { JsonObject } from '../../src/util/json.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { runningDelegation } from '../helpers/records.js';
import { makeTempRun } from '../helpers/run-dir.js';
import { killAllSpawned, procAlive, spawnReady, waitFor } from '../helpers/worker-harness.js';

const old = (): string => formatRfc3339(Date.now() - 120_000);

/** A running delegation stuck for two minutes whose worker is the given live process. */
const stuckRecord = (id: string, pid: number, identityPatch: JsonObject = {}): JsonObject => {
  const identity = captureProcessIdentity(pid);
  assert.ok(identity, `identity of ${pid}`);
  return runningDelegation(id, {
    lifecycle: { process_id: pid, process_identity: { ...identity, ...identityPatch } as unknown as JsonObject, last_progress_at: old() },
  });
};

const readRecord = (path: string): JsonObject => JSON.parse(readFileSync(path, 'utf8')) as JsonObject;

describe('reclaim against real processes', () => {
  const run = makeTempRun();
  afterEach(() => killAllSpawned());
  after(() => run.remove());
  const ctx = () => run.context({ worker_kill_grace_ms: 300 });

  it('terminates the whole group of a hung worker, one that ignores SIGTERM, and one with a grandchild', async () => {
    const hang = await spawnReady('hang.mjs');
    const stubborn = await spawnReady('ignore-sigterm.mjs');
    const parent = await spawnReady('fork-grandchild.mjs');
    const grandchild = Number((await parent.waitForLine((l) => l.type === 'fixture.grandchild')).pid);
    const paths = {
      hang: run.writeDelegation(stuckRecord('hang', hang.pid)),
      stubborn: run.writeDelegation(stuckRecord('stubborn', stubborn.pid)),
      parent: run.writeDelegation(stuckRecord('parent', parent.pid)),
    };
    const fresh = run.writeDelegation(runningDelegation('fresh', { lifecycle: { last_progress_at: formatRfc3339(Date.now()) } }));

    const dry = await reclaimStuckWorkers(ctx(), { dryRun: true });
    assert.deepEqual(dry.reclaimed.map((r) => r.delegation_id).sort(), ['hang', 'parent', 'stubborn']);
    assert.ok(procAlive(hang.pid), 'a dry run signals nothing');

    const started = Date.now();
    const result = await reclaimStuckWorkers(ctx());
    const elapsed = Date.now() - started;
    const byId = Object.fromEntries(result.reclaimed.map((r) => [r.delegation_id, r]));
    assert.equal(byId.hang?.termination, 'terminated');
    assert.equal(byId.stubborn?.termination, 'killed');
    assert.equal(byId.parent?.termination, 'killed', 'the grandchild ignores SIGTERM, so the group needed SIGKILL');
    assert.ok(elapsed < 2_000, `workers are reclaimed concurrently (${elapsed} ms)`);
    await waitFor(() => ![hang.pid, stubborn.pid, parent.pid, grandchild].some(procAlive), 'every process of every group to be gone');

    const record = readRecord(paths.stubborn);
    const lifecycle = record.worker_lifecycle as JsonObject;
    assert.equal((record.child_agent as JsonObject).status, 'failed');
    assert.deepEqual([lifecycle.state, lifecycle.reclaim_state, lifecycle.termination], ['timed_out', 'reclaimed', 'killed']);
    assert.equal((record.latest_failure as JsonObject).reason, 'timeout');
    assert.match(String(record.result_summary), /exceeded the bounded timeout and was reclaimed by captain \(killed\)/);
    assert.equal(typeof lifecycle.timed_out_at, 'string');
    assert.equal((readRecord(fresh).child_agent as JsonObject).status, 'running', 'a worker making progress is left alone');

    const again = await reclaimStuckWorkers(ctx());
    assert.equal(again.reclaimed.length, 0, 'reclaim is not repeated');
  });

  it('never signals a process whose recorded start time does not match: identity_mismatch', async () => {
    const victim = await spawnReady('hang.mjs');
    const path = run.writeDelegation(stuckRecord('reused', victim.pid, { start_ticks: 1 }));
    const result = await reclaimStuckWorkers(ctx());
    const entry = result.reclaimed.find((r) => r.delegation_id === 'reused');
    assert.equal(entry?.termination, 'identity_mismatch');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.ok(procAlive(victim.pid), 'the unrelated process is still alive');
    const lifecycle = readRecord(path).worker_lifecycle as JsonObject;
    assert.equal(lifecycle.reclaim_state, 'reclaimed');
    assert.equal(lifecycle.termination, 'identity_mismatch');
  });

  it('an upstream record (pid + process_started_at) far from the live start time is not signalled either', async () => {
    const victim = await spawnReady('hang.mjs');
    run.writeDelegation(runningDelegation('upstream', { lifecycle: { process_id: victim.pid, process_started_at: '2020-01-01T00:00:00.000Z', last_progress_at: old() } }));
    const result = await reclaimStuckWorkers(ctx());
    assert.equal(result.reclaimed.find((r) => r.delegation_id === 'upstream')?.termination, 'identity_mismatch');
    assert.ok(procAlive(victim.pid));
  });

  it('fan-in waits for the active worker, then collapses once and stays collapsed (idempotent)', async () => {
    const blocked = await collapseFanIn(ctx());
    assert.equal(blocked.collapsed, false);
    assert.deepEqual(blocked.active_delegation_ids, ['fresh']);
    const cancelled = await cancelDelegation(ctx(), 'fresh', 'test');
    assert.equal(cancelled.termination, 'already_exited');
    const first = await collapseFanIn(ctx());
    assert.equal(first.collapsed, true, JSON.stringify(first));
    const fanIn = first.fan_in as JsonObject;
    assert.deepEqual([fanIn.completed, fanIn.failed, fanIn.cancelled], [0, 5, 1]);
    const second = await collapseFanIn(ctx());
    assert.equal((second.fan_in as JsonObject).collapsed_at, fanIn.collapsed_at);
  });
});

describe('fan-in with a record that cannot be refreshed', () => {
  const run = makeTempRun();
  after(() => run.remove());

  it('a running record whose raw events path escapes the run is reported and still blocks fan-in', async () => {
    run.writeDelegation(runningDelegation('done', { child: { status: 'completed' } }));
    run.writeDelegation(runningDelegation('escape', { top: { worker_launch_evidence: { raw_events_file: '../../outside.jsonl' } }, lifecycle: { last_progress_at: formatRfc3339(Date.now()) } }));
    const result = await collapseFanIn(run.context());
    assert.equal(result.collapsed, false, JSON.stringify(result));
    assert.deepEqual(result.active_delegation_ids, ['escape']);
    assert.ok(
      (result.errors as JsonObject[]).some((e) => String(e.path).endsWith('escape.json') && /outside the run directory/.test(String(e.reason))),
      JSON.stringify(result.errors),
    );
  });
});
