import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isCaptainError } from '../../src/errors.js';
import { captureProcessIdentity } from '../../src/process/identity.js';
import { spawn } from 'node:child_process';
import { bootId, readProcStat } from '../../src/process/proc-stat.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { terminateWorker } from '../../src/process/terminate.js';
import { killAllSpawned, procAlive, sleep, spawnReady, trackPid, waitFor, type SpawnedWorker } from '../helpers/worker-harness.js';

after(killAllSpawned);

const GRACE_MS = 600;

const identityOf = (worker: SpawnedWorker) => {
  const identity = captureProcessIdentity(worker.pid);
  assert.ok(identity, `identity of ${worker.pid}`);
  return identity;
};

const grandchildOf = async (worker: SpawnedWorker): Promise<number> => {
  const pid = Number((await worker.waitForLine((line) => line.type === 'fixture.grandchild')).pid);
  trackPid(pid);
  assert.ok(procAlive(pid));
  return pid;
};

describe('terminateWorker', () => {
  it('a worker that exits on SIGTERM is terminated within the grace period', async () => {
    const worker = await spawnReady('hang.mjs');
    const identity = identityOf(worker);
    const started = Date.now();
    const result = await terminateWorker({ pid: worker.pid, pgid: identity.pgid, identity }, GRACE_MS);
    const elapsed = Date.now() - started;
    assert.deepEqual(result, { termination: 'terminated', signalled: true, survivors: [] });
    assert.ok(elapsed < GRACE_MS, `took ${elapsed} ms`);
    assert.equal(procAlive(worker.pid), false);
  });

  it('a worker that ignores SIGTERM is killed after the grace period', async () => {
    const worker = await spawnReady('ignore-sigterm.mjs');
    const identity = identityOf(worker);
    const started = Date.now();
    const result = await terminateWorker({ pid: worker.pid, identity }, GRACE_MS);
    const elapsed = Date.now() - started;
    assert.deepEqual(result, { termination: 'killed', signalled: true, survivors: [] });
    assert.ok(elapsed >= GRACE_MS && elapsed < GRACE_MS + 800, `took ${elapsed} ms`);
    assert.equal(procAlive(worker.pid), false);
  });

  it('a grandchild that ignores SIGTERM and holds stdout is killed with the group', async () => {
    const worker = await spawnReady('fork-grandchild.mjs');
    const grandchild = await grandchildOf(worker);
    const result = await terminateWorker({ pid: worker.pid, pgid: worker.pid, identity: identityOf(worker) }, 300);
    assert.deepEqual(result, { termination: 'killed', signalled: true, survivors: [] });
    assert.equal(procAlive(worker.pid), false);
    assert.equal(procAlive(grandchild), false, `grandchild ${grandchild}: ${JSON.stringify(readProcStat(grandchild))}`);
  });

  it('an upstream record (pid + process_started_at, no pgid) still kills the group the pid leads', async () => {
    const worker = await spawnReady('fork-grandchild.mjs');
    const grandchild = await grandchildOf(worker);
    const processStartedAt = identityOf(worker).started_at;
    const result = await terminateWorker({ pid: worker.pid, processStartedAt }, 300);
    assert.equal(result.termination, 'killed');
    assert.equal(procAlive(grandchild), false);
  });

  it('a dead leader whose group still has members: the recorded group is signalled', async () => {
    const worker = await spawnReady('fork-grandchild.mjs');
    const grandchild = await grandchildOf(worker);
    const identity = identityOf(worker);
    await sleep(100); // see the worker alive a little after the grandchild started
    const lastSeenAliveAt = formatRfc3339(Date.now());
    process.kill(worker.pid, 'SIGKILL');
    await worker.exited;
    assert.ok(procAlive(grandchild));
    const unproven = await terminateWorker({ pid: worker.pid, pgid: identity.pgid, identity }, 300);
    assert.equal(unproven.termination, 'identity_mismatch', 'without a last-seen time nothing proves the group is still the worker\'s');
    assert.ok(procAlive(grandchild));
    const result = await terminateWorker({ pid: worker.pid, pgid: identity.pgid, identity, lastSeenAliveAt }, 300);
    assert.deepEqual(result, { termination: 'killed', signalled: true, survivors: [] });
    assert.equal(procAlive(grandchild), false);
  });

  it('a grandchild that left the group with setsid is still found by parentage and ended', async () => {
    // The worker starts a child in a new session (detached: setsid) that ignores SIGTERM, then hangs.
    const script = `const {spawn}=require('child_process');const g=spawn(process.execPath,['-e','process.on("SIGTERM",()=>{});setInterval(()=>{},1e6)'],{detached:true,stdio:'ignore'});console.log(JSON.stringify({type:'fixture.grandchild',pid:g.pid}));setInterval(()=>{},1e6)`;
    const worker = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    assert.ok(worker.pid);
    trackPid(worker.pid);
    const grandchild = await new Promise<number>((resolve) => {
      worker.stdout.setEncoding('utf8');
      worker.stdout.once('data', (text: string) => resolve(Number((JSON.parse(text.trim()) as { pid: number }).pid)));
    });
    trackPid(grandchild);
    assert.notEqual(readProcStat(grandchild)?.pgrp, worker.pid, 'the grandchild left the group');
    const identity = captureProcessIdentity(worker.pid);
    assert.ok(identity);
    const result = await terminateWorker({ pid: worker.pid, pgid: worker.pid, identity }, 200);
    assert.ok(['terminated', 'killed'].includes(result.termination), result.termination);
    assert.deepEqual(result.survivors, []);
    await waitFor(() => !procAlive(grandchild), 'the setsid grandchild to be gone');
  });

  it('a reused group id (an unrelated session leader took the pid and left a child in its group) is never signalled', async () => {
    // The worker ran as pid W, was SIGKILLed with its monitor, and its group emptied. Then an
    // unrelated program became session leader W and left a child behind in group W.
    const foreign = spawn('setsid', ['sh', '-c', 'sleep 60 & echo $$ $!'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const [leader, child] = await new Promise<number[]>((resolve) => {
      foreign.stdout.setEncoding('utf8');
      foreign.stdout.once('data', (text: string) => resolve(text.trim().split(' ').map(Number)));
    });
    assert.ok(leader !== undefined && child !== undefined);
    trackPid(child);
    await waitFor(() => readProcStat(leader) === null || readProcStat(leader)?.state === 'Z', 'the foreign leader to exit');
    assert.equal(readProcStat(child)?.pgrp, leader, 'the foreign child sits in group W');
    const workerIdentity = { pid: leader, pgid: leader, start_ticks: (readProcStat(child)?.startTicks ?? 0) - 6_000, boot_id: bootId() ?? '', started_at: formatRfc3339(Date.now() - 120_000) };
    const target = { pid: leader, pgid: leader, identity: workerIdentity, lastSeenAliveAt: formatRfc3339(Date.now() - 60_000) };
    const result = await terminateWorker(target, 100);
    assert.deepEqual(result, { termination: 'identity_mismatch', signalled: false, survivors: [] });
    const upstreamStyle = await terminateWorker({ pid: leader, pgid: leader, processStartedAt: formatRfc3339(Date.now() - 120_000), lastSeenAliveAt: formatRfc3339(Date.now() - 60_000) }, 100);
    assert.equal(upstreamStyle.termination, 'identity_mismatch');
    await sleep(150);
    assert.ok(procAlive(child), 'the unrelated child is untouched');
    process.kill(child, 'SIGKILL');
  });

  it('a mismatched identity (reused pid) is never signalled', async () => {
    const worker = await spawnReady('hang.mjs');
    const identity = identityOf(worker);
    const wrong = { ...identity, start_ticks: identity.start_ticks + 7 };
    const result = await terminateWorker({ pid: worker.pid, pgid: worker.pid, identity: wrong }, 100);
    assert.deepEqual(result, { termination: 'identity_mismatch', signalled: false, survivors: [] });
    const stale = await terminateWorker({ pid: worker.pid, processStartedAt: '2001-01-01T00:00:00.000Z' }, 100);
    assert.equal(stale.termination, 'identity_mismatch');
    await sleep(150);
    assert.equal(procAlive(worker.pid), true, 'still running');
    process.kill(-worker.pid, 'SIGKILL');
    await worker.exited;
  });

  it('a bare pid with nothing that proves its identity is not signalled (unproven)', async () => {
    const worker = await spawnReady('hang.mjs');
    const result = await terminateWorker({ pid: worker.pid }, 100);
    assert.deepEqual(result, { termination: 'identity_mismatch', signalled: false, survivors: [] });
    const groupOnly = await terminateWorker({ pid: null, pgid: worker.pid }, 100);
    assert.equal(groupOnly.termination, 'identity_mismatch');
    await sleep(150);
    assert.equal(procAlive(worker.pid), true);
  });

  it('already exited: nothing is signalled', async () => {
    const worker = await spawnReady('hang.mjs');
    const identity = identityOf(worker);
    process.kill(worker.pid, 'SIGKILL');
    await worker.exited;
    const expected = { termination: 'already_exited', signalled: false, survivors: [] };
    assert.deepEqual(await terminateWorker({ pid: worker.pid, pgid: identity.pgid, identity }, 100), expected);
    assert.deepEqual(await terminateWorker({ pid: worker.pid }, 100), expected);
    assert.deepEqual(await terminateWorker({ pid: null }, 100), expected);
    assert.deepEqual(await terminateWorker({ pid: null, pgid: worker.pid }, 100), expected);
    const otherBoot = { ...identity, boot_id: 'another-boot' };
    assert.deepEqual(await terminateWorker({ pid: worker.pid, identity: otherBoot }, 100), expected);
  });

  it("a worker in captain's own process group is signalled alone, never the group", async () => {
    const worker = await spawnReady('hang.mjs', { detached: false });
    const identity = identityOf(worker);
    const own = readProcStat(process.pid)?.pgrp;
    assert.equal(identity.pgid, own);
    const result = await terminateWorker({ pid: worker.pid, pgid: identity.pgid, identity }, GRACE_MS);
    assert.deepEqual(result, { termination: 'terminated', signalled: true, survivors: [] });
    assert.equal(procAlive(worker.pid), false);
    assert.equal(procAlive(process.pid), true);
  });

  it('refuses to terminate captain itself', async () => {
    const self = captureProcessIdentity(process.pid);
    assert.ok(self);
    const result = await terminateWorker({ pid: process.pid, identity: self }, 10);
    assert.equal(result.termination, 'identity_mismatch');
  });

  it('rejects bad durations with a USAGE error naming the option', async () => {
    const usage = (name: string) => (error: unknown) => isCaptainError(error) && error.code === 'USAGE' && error.message.includes(name);
    await assert.rejects(terminateWorker({ pid: null }, -1), usage('graceMs'));
    await assert.rejects(terminateWorker({ pid: null }, Number.NaN), usage('graceMs'));
    await assert.rejects(terminateWorker({ pid: null }, 10, { pollMs: 0 }), usage('pollMs'));
    await assert.rejects(terminateWorker({ pid: null }, 10, { killWaitMs: -5 }), usage('killWaitMs'));
  });

  it('10 workers that ignore SIGTERM are terminated concurrently in about one grace period', async () => {
    const workers = await Promise.all(Array.from({ length: 10 }, () => spawnReady('ignore-sigterm.mjs')));
    const targets = workers.map((worker) => ({ pid: worker.pid, identity: identityOf(worker) }));
    const started = Date.now();
    const results = await Promise.all(targets.map((target) => terminateWorker(target, GRACE_MS)));
    const elapsed = Date.now() - started;
    for (const result of results) assert.deepEqual(result, { termination: 'killed', signalled: true, survivors: [] });
    assert.ok(elapsed >= GRACE_MS && elapsed < GRACE_MS * 2.5, `10 workers took ${elapsed} ms (serial would be ≥ ${GRACE_MS * 10})`);
    for (const worker of workers) assert.equal(procAlive(worker.pid), false);
  });
});
