import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { isCaptainError } from '../../src/errors.js';
import { isGroupGone, isSignallableGroup, listGroupMembers, signalGroup } from '../../src/process/group.js';
import { readProcStat } from '../../src/process/proc-stat.js';
import { killAllSpawned, procAlive, spawnReady, trackPid, waitFor } from '../helpers/worker-harness.js';

after(killAllSpawned);

describe('process groups', () => {
  it('lists a worker and its grandchild as the members of the worker group', async () => {
    const worker = await spawnReady('fork-grandchild.mjs');
    const line = await worker.waitForLine((l) => l.type === 'fixture.grandchild');
    const grandchild = Number(line.pid);
    trackPid(grandchild);
    assert.deepEqual(listGroupMembers(worker.pid), [worker.pid, grandchild].sort((a, b) => a - b));
    assert.equal(isGroupGone(worker.pid), false);
  });

  it('signals the whole group; zombie members are not members and the group reads gone', async () => {
    const worker = await spawnReady('fork-grandchild.mjs');
    const grandchild = Number((await worker.waitForLine((l) => l.type === 'fixture.grandchild')).pid);
    trackPid(grandchild);
    assert.equal(signalGroup(worker.pid, 'SIGKILL'), true);
    await worker.exited;
    await waitFor(() => !procAlive(grandchild), `grandchild ${grandchild} to die`);
    assert.deepEqual(listGroupMembers(worker.pid), []);
    assert.equal(isGroupGone(worker.pid), true);
    // This sandbox's PID 1 may not reap the orphaned grandchild: it then lingers as a zombie in the group.
    const lingering = readProcStat(grandchild);
    if (lingering !== null) assert.equal(lingering.state, 'Z');
  });

  it('signalling a group that no longer exists returns false (ESRCH ignored)', async () => {
    const worker = await spawnReady('hang.mjs');
    process.kill(worker.pid, 'SIGKILL');
    await worker.exited;
    assert.equal(signalGroup(worker.pid, 'SIGTERM'), false);
    assert.equal(isGroupGone(worker.pid), true);
  });

  it("refuses to signal group 0, 1, negatives, or captain's own group", () => {
    const own = readProcStat(process.pid)?.pgrp;
    assert.ok(own !== undefined);
    for (const pgid of [0, 1, -5, 3.5, own]) {
      assert.equal(isSignallableGroup(pgid), false, String(pgid));
      assert.throws(() => signalGroup(pgid, 'SIGTERM'), (error: unknown) => isCaptainError(error) && error.code === 'USAGE', String(pgid));
    }
    assert.ok(listGroupMembers(own).includes(process.pid));
  });

  it('an empty or impossible group has no members', () => {
    const pidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    assert.deepEqual(listGroupMembers(pidMax + 1), []);
    assert.deepEqual(listGroupMembers(0), []);
    assert.equal(isGroupGone(pidMax + 1), true);
  });
});
