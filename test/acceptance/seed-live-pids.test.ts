/**
 * Acceptance on runs refreshed by THE SEED ITSELF with live pids: upstream's own status
 * (`create_worker_visibility_payload`, which refreshes every running record with `kill -0` and the
 * raw events file's mtime, and writes it) and captain's `status` (refresh, written) must give the
 * same payloads for workers captain did not launch, whose `process_started_at` was stamped seconds
 * to hours after their real start (or before it). The harness is `tools/seed-golden` (the seed
 * compiled unchanged but for its clock); `.ci/run` installs cargo and Debian's serde_json / chrono.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { openRunContext } from '../../src/ops/context.js';
import { getStatus } from '../../src/ops/status.js';
import { captureProcessIdentity } from '../../src/process/identity.js';
import { getKey, type Json, type JsonObject } from '../../src/util/json.js';
import { formatRfc3339, parseRfc3339Millis } from '../../src/util/time.js';
import { runningDelegation } from '../helpers/records.js';
import { killAllSpawned, spawnReady } from '../helpers/worker-harness.js';

const harness = fileURLToPath(new URL('../../tools/seed-golden/build.sh', import.meta.url));

const sortKey = (value: Json): string => `${JSON.stringify(getKey(value, 'delegation_id') ?? null)}\u0000${JSON.stringify(value)}`;
const sorted = (list: Json | undefined): Json[] => [...(Array.isArray(list) ? list : [])].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
const normalize = (payload: { worker_visibility: Json; reclaim_plan: Json }): Json => {
  const v = payload.worker_visibility as JsonObject;
  const p = payload.reclaim_plan as JsonObject;
  return { worker_visibility: { ...v, workers: sorted(v.workers), active_workers: sorted(v.active_workers) }, reclaim_plan: { ...p, targets: sorted(p.targets) } };
};

describe('captain matches the seed on runs it refreshes with live pids', () => {
  let seedBinary = '';
  const root = mkdtempSync(join(tmpdir(), 'captain-live-seed-'));
  before(() => {
    // Builds the seed; fails (never skips) where cargo or Debian's crates are missing.
    seedBinary = execFileSync('bash', [harness], { encoding: 'utf8', timeout: 300_000 }).trim().split('\n').pop() ?? '';
  });
  after(() => {
    killAllSpawned();
    rmSync(root, { recursive: true, force: true });
  });

  it('upstream records on live workers: the same states and reclaim plan, nothing finalized', { timeout: 120_000 }, async () => {
    const workers = await Promise.all([spawnReady('hang.mjs'), spawnReady('hang.mjs'), spawnReady('hang.mjs')]);
    const now = Date.now();
    const startOf = (pid: number): number => parseRfc3339Millis(captureProcessIdentity(pid)?.started_at) ?? Number.NaN;
    const pristine = join(root, 'pristine');
    const write = (dir: string, name: string, value: Json): void => writeFileSync(join(dir, name), JSON.stringify(value, null, 2));
    execFileSync('mkdir', ['-p', join(pristine, 'delegations'), join(pristine, 'raw-events'), join(pristine, 'task-cards')]);
    write(pristine, 'run.json', { run_id: 'run-1', active_task_card_id: 'card-1' });
    // Stamps late by 5 s, 90 s, 1 h and 5 h, and one early by an hour (a younger process under the pid).
    const cases = [
      { id: 'late-5s', pid: workers[0]!.pid, offset: 5_000, rawAgeMs: 3_000 },
      { id: 'late-90s', pid: workers[1]!.pid, offset: 90_000, rawAgeMs: 200_000 },
      { id: 'late-1h', pid: workers[2]!.pid, offset: 3_600_000, rawAgeMs: 20_000 },
      { id: 'late-5h', pid: workers[0]!.pid, offset: 5 * 3_600_000, rawAgeMs: 100_000 },
      { id: 'early-1h', pid: workers[1]!.pid, offset: -3_600_000, rawAgeMs: 4_000 },
    ];
    for (const c of cases) {
      write(join(pristine, 'delegations'), `${c.id}.json`, runningDelegation(c.id, {
        lifecycle: { process_id: c.pid, process_started_at: formatRfc3339(startOf(c.pid) + c.offset), last_progress_at: formatRfc3339(now - 60_000), stale_after_ms: 45_000, timeout_after_ms: 90_000 },
      }) as Json);
      const raw = join(pristine, 'raw-events', `${c.id}.jsonl`);
      writeFileSync(raw, '{"type":"thread.started","thread_id":"t"}\n{"type":"turn.started"}\n');
      utimesSync(raw, new Date(now - c.rawAgeMs), new Date(now - c.rawAgeMs));
    }
    const config = { worker_stuck_after_ms: 45_000, worker_kill_grace_ms: 2_000, worker_auto_reclaim_enabled: true };

    const seedRun = join(root, 'seed');
    cpSync(pristine, seedRun, { recursive: true, preserveTimestamps: true });
    const seed = JSON.parse(execFileSync(seedBinary, [seedRun, JSON.stringify(config), String(now), 'refresh'], { encoding: 'utf8' })) as { worker_visibility: Json; reclaim_plan: Json };

    const captainRun = join(root, 'captain');
    cpSync(pristine, captainRun, { recursive: true, preserveTimestamps: true });
    const status = getStatus(openRunContext(captainRun, { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 45_000 }, { now: () => now }));
    assert.deepEqual(status.errors, []);
    assert.deepEqual(normalize({ worker_visibility: status.worker_visibility, reclaim_plan: status.reclaim_plan }), normalize(seed));
    const states = ((status.worker_visibility as JsonObject).workers as JsonObject[]).map((w) => `${String(w.delegation_id)}:${String((w.worker_lifecycle as JsonObject).state)}`).sort();
    assert.deepEqual(states, ['early-1h:running_active', 'late-1h:running_active', 'late-5h:timed_out', 'late-5s:running_active', 'late-90s:timed_out'], 'no live worker finalized; progress only where the file moved');
  });
});
