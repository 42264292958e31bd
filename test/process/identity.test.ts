import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROCESS_START_TOLERANCE_MS } from '../../src/config/defaults.js';
import { captureProcessIdentity, isPidAlive, verifyProcessIdentity } from '../../src/process/identity.js';
import { bootId, readProcStat, runsProgram } from '../../src/process/proc-stat.js';
import { formatRfc3339, parseRfc3339Millis } from '../../src/util/time.js';
import { killAllSpawned, spawnReady, trackPid, waitFor } from '../helpers/worker-harness.js';

after(killAllSpawned);

describe('captureProcessIdentity and verifyProcessIdentity', () => {
  it('captures a live worker and verifies it alive', async () => {
    const before = Date.now();
    const worker = await spawnReady('hang.mjs');
    const identity = captureProcessIdentity(worker.pid);
    assert.ok(identity);
    assert.equal(identity.pid, worker.pid);
    assert.equal(identity.pgid, worker.pid, 'detached worker leads its group');
    assert.equal(identity.start_ticks, readProcStat(worker.pid)?.startTicks);
    assert.equal(identity.boot_id, bootId());
    const startedMs = parseRfc3339Millis(identity.started_at);
    assert.ok(startedMs !== undefined && Math.abs(startedMs - before) < 1_500, identity.started_at);
    assert.equal(verifyProcessIdentity({ pid: worker.pid, identity }), 'alive');
    assert.equal(isPidAlive(worker.pid), true);
  });

  it('reads dead after the worker exited, and captures nothing', async () => {
    const worker = await spawnReady('hang.mjs');
    const identity = captureProcessIdentity(worker.pid);
    assert.ok(identity);
    process.kill(worker.pid, 'SIGKILL');
    await worker.exited;
    assert.equal(isPidAlive(worker.pid), false);
    assert.equal(captureProcessIdentity(worker.pid), null);
    assert.equal(verifyProcessIdentity({ pid: worker.pid, identity }), 'dead');
    assert.equal(verifyProcessIdentity({ pid: worker.pid }), 'dead');
    assert.equal(verifyProcessIdentity({ pid: worker.pid, processStartedAt: identity.started_at }), 'dead');
  });

  it('other start ticks (a reused pid) read mismatch; another boot reads dead, even while the pid runs', async () => {
    const worker = await spawnReady('hang.mjs');
    const identity = captureProcessIdentity(worker.pid);
    assert.ok(identity);
    assert.equal(verifyProcessIdentity({ pid: worker.pid, identity: { ...identity, start_ticks: identity.start_ticks + 1 } }), 'mismatch');
    assert.equal(verifyProcessIdentity({ pid: worker.pid, identity: { ...identity, start_ticks: identity.start_ticks - 500 } }), 'mismatch');
    assert.equal(verifyProcessIdentity({ pid: worker.pid, identity: { ...identity, pid: worker.pid + 1 } }), 'mismatch');
    assert.equal(verifyProcessIdentity({ pid: worker.pid, identity: { ...identity, boot_id: '00000000-0000-0000-0000-000000000000' } }), 'dead');
    assert.equal(isPidAlive(worker.pid), true, 'the process itself is untouched');
  });

  it('upstream records: one-sided — a process that started at or before processStartedAt is the worker, a younger one is a reused pid', async () => {
    const worker = await spawnReady('hang.mjs');
    const identity = captureProcessIdentity(worker.pid);
    assert.ok(identity);
    const liveMs = parseRfc3339Millis(identity.started_at) ?? Number.NaN;
    const at = (offsetMs: number): string => formatRfc3339(liveMs + offsetMs);
    const verify = (processStartedAt: string | null | undefined) => verifyProcessIdentity({ pid: worker.pid, processStartedAt });
    assert.equal(verify(at(0)), 'alive');
    // Upstream stamps process_started_at when it first sees the worker (even from the raw events
    // file's mtime): seconds to hours after the real start. That is still the worker.
    for (const late of [4_000, 60_000, 3_600_000, 5 * 3_600_000]) assert.equal(verify(at(late)), 'alive', `recorded ${late} ms after the start`);
    assert.equal(verify(at(-(PROCESS_START_TOLERANCE_MS - 500))), 'alive', 'within the tolerance before');
    assert.equal(verify(new Date(liveMs + 1_000).toISOString().replace('Z', '+00:00')), 'alive', 'offset form parses too');
    // A process that started after the worker was seen cannot be it: the pid was reused.
    assert.equal(verify(at(-(PROCESS_START_TOLERANCE_MS + 1_500))), 'mismatch');
    assert.equal(verify(at(-60_000)), 'mismatch');
    assert.equal(verify(undefined), 'unproven');
    assert.equal(verify(null), 'unproven');
    assert.equal(verify('yesterday'), 'unproven');
    assert.equal(verifyProcessIdentity({ pid: worker.pid, identity: null }), 'unproven');
  });

  it('a zombie (exited, not reaped by its parent) counts as dead although kill(pid, 0) still succeeds', async () => {
    // sh starts a short sleep in the background, then execs a long sleep that never reaps it.
    const shell = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    assert.ok(shell.pid);
    trackPid(shell.pid);
    const zombiePid = await new Promise<number>((resolve, reject) => {
      shell.stdout.setEncoding('utf8');
      shell.stdout.once('data', (text: string) => resolve(Number(text.trim())));
      shell.once('error', reject);
    });
    const identity = captureProcessIdentity(zombiePid);
    assert.ok(identity, 'captured while the background sleep runs');
    assert.equal(runsProgram(zombiePid), true, 'the background sleep runs a program');
    await waitFor(() => readProcStat(zombiePid)?.state === 'Z', `pid ${zombiePid} to become a zombie`);
    assert.doesNotThrow(() => process.kill(zombiePid, 0), 'the zombie still answers kill(pid, 0)');
    assert.equal(isPidAlive(zombiePid), false);
    // The cheaper first look (a pass's) proves nothing for a zombie: the stat line decides.
    assert.equal(runsProgram(zombiePid), false, 'a zombie has no program image');
    assert.equal(isPidAlive(zombiePid, readProcStat, runsProgram), false);
    assert.equal(captureProcessIdentity(zombiePid), null);
    assert.equal(verifyProcessIdentity({ pid: zombiePid, identity }), 'dead');
    assert.equal(verifyProcessIdentity({ pid: zombiePid }), 'dead');
  });
});

describe('isPidAlive', () => {
  it('asks `runs` first: its true answers without the stat line, its false leaves the stat line to decide', () => {
    const unread = (): never => assert.fail('the stat line must not be read when `runs` proves the process runs');
    assert.equal(isPidAlive(process.pid, unread, () => true), true);
    let reads = 0;
    const counted = (pid: number) => {
      reads += 1;
      return readProcStat(pid);
    };
    assert.equal(isPidAlive(process.pid, counted, () => false), true, 'false proves nothing: the stat line says alive');
    assert.equal(reads, 1);
    assert.equal(isPidAlive(4_194_000, counted, () => false), false);
    assert.equal(isPidAlive(0, unread, () => true), false, 'never for a pid that cannot name a process');
  });

  it('is false for pids that cannot name a process (0 would mean our own group to kill())', () => {
    for (const pid of [0, -1, -process.pid, 2.5, Number.NaN]) assert.equal(isPidAlive(pid), false, String(pid));
    assert.equal(isPidAlive(process.pid), true);
  });

  it('EPERM counts as alive (checked from an unprivileged child against root-owned pid 1)', (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to start a child as nobody');
      return;
    }
    const identityModule = fileURLToPath(new URL('../../src/process/identity.ts', import.meta.url));
    const procStatModule = fileURLToPath(new URL('../../src/process/proc-stat.ts', import.meta.url));
    const script = `
      const { isPidAlive } = await import(${JSON.stringify(identityModule)});
      const { readProcStat, runsProgram } = await import(${JSON.stringify(procStatModule)});
      let code = 'none';
      try { process.kill(1, 0); } catch (error) { code = error.code; }
      console.log(JSON.stringify({ code, alive: isPidAlive(1), runs: runsProgram(1), alivePass: isPidAlive(1, readProcStat, runsProgram) }));`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(result.status, 0, result.stderr);
    // Another user's process: its exe link is not ours to read (EACCES), so the stat line decides.
    assert.deepEqual(JSON.parse(result.stdout.trim()), { code: 'EPERM', alive: true, runs: false, alivePass: true });
  });
});
