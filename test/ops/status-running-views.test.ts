/**
 * Running workers' views in the record cache: a live worker's entry (and reclaim target) is filed
 * with its record's text and used, after observing the record (or checking the witness of the last
 * observation), from when it was made until the worker's progress age reaches its next threshold;
 * then it is derived again and filed anew. At every instant of a sweep over a worker's life, forwards and back, status
 * with the cache prints exactly what a full read prints, observing and as `--snapshot`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentPieces } from '../../src/cli/json-stream.js';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { openRunContext } from '../../src/ops/context.js';
import { getStatusDocument, type StatusRefresh } from '../../src/ops/status.js';
import { statusViewKey } from '../../src/ops/status-view-cache.js';
import { openRecordCache, type RecordCacheOptions } from '../../src/store/record-cache.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { runningDelegation } from '../helpers/records.js';
import { CODEX_OK_STREAM } from '../helpers/run-dir.js';

const temp = mkdtempSync(join(tmpdir(), 'captain-running-views-'));
let sleeper: ChildProcess;
let deadPid: number;
before(() => {
  sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  // A pid that was a process and is no more.
  deadPid = Number(spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim());
});
after(() => {
  sleeper.kill('SIGKILL');
  rmSync(temp, { recursive: true, force: true });
});

const CONFIG = { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 60_000, worker_quiet_after_ms: 20_000 };
const VIEWS: RecordCacheOptions = { wallClock: () => Date.now() + 60_000, viewKey: statusViewKey(CONFIG) };
const RUNNING = 12;

/**
 * Live workers whose last progress was 0, 7, 14, ... s before `base` (at base: 3 active, 6 quiet,
 * 3 timed out), two dead ones, and finished ones.
 */
const makeRun = (base: number, name: string): string => {
  const runDir = join(temp, name);
  for (const dir of ['delegations', 'raw-events', 'task-cards']) mkdirSync(join(runDir, dir), { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({ run_id: 'r', active_task_card_id: 'card-1' }));
  const iso = (offset: number): string => formatRfc3339(base + offset);
  const write = (id: string, pid: number, status: string, progressOffset: number): void => {
    const record = runningDelegation(id, {
      child: { status },
      lifecycle: {
        queued_at: iso(-200_000),
        launch_requested_at: iso(-199_000),
        started_at: iso(-198_000),
        process_id: pid,
        process_started_at: iso(0),
        process_last_seen_at: iso(progressOffset),
        last_progress_at: iso(progressOffset),
        stale_after_ms: 60_000,
        timeout_after_ms: 3_600_000,
      },
    });
    writeFileSync(join(runDir, 'delegations', `${id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  };
  for (let i = 0; i < RUNNING; i += 1) {
    const id = `live-${String(i).padStart(2, '0')}`;
    write(id, sleeper.pid as number, 'running', -i * 7_000);
    if (i % 3 === 0) {
      // A raw events file without a terminal event, last written at the recorded progress.
      const raw = join(runDir, 'raw-events', `${id}.jsonl`);
      writeFileSync(raw, '{"type":"thread.started","thread_id":"t-1"}\n{"type":"turn.started"}\n');
      utimesSync(raw, (base - i * 7_000) / 1000, (base - i * 7_000) / 1000);
    }
  }
  // Dead: as the seed does, finalized on observing only where a raw events file exists (dead-1).
  write('dead-0', deadPid, 'running', 0);
  write('dead-1', deadPid, 'running', -30_000);
  writeFileSync(join(runDir, 'raw-events', 'dead-1.jsonl'), '{"type":"thread.started","thread_id":"t-2"}\n');
  for (const [i, status] of ['completed', 'failed', 'cancelled'].entries()) write(`done-${i}`, sleeper.pid as number, status, -i * 1_000);
  return runDir;
};

const statusText = async (runDir: string, refresh: StatusRefresh, nowMs: number, cache?: ReturnType<typeof openRecordCache>): Promise<string> => {
  const ctx = openRunContext(runDir, CONFIG, { now: () => nowMs });
  const document = await getStatusDocument(ctx, { refresh, sliceFiles: 5, ...(cache === undefined ? {} : { recordCache: cache }) });
  return [...documentPieces(document)].join('');
};

/** Status with the cache, then a full read: the same text. Returns the cache's view hits. */
const same = async (runDir: string, refresh: StatusRefresh, nowMs: number): Promise<number> => {
  const cache = openRecordCache(runDir, VIEWS);
  const cached = await statusText(runDir, refresh, nowMs, cache);
  cache.save();
  assert.equal(cached, await statusText(runDir, refresh, nowMs), `${refresh} at base + ${nowMs - base0}`);
  return cache.counts().viewHits;
};
let base0 = 0;

describe('running workers\' views', () => {
  it('print what a full read prints at every instant, and are used while they hold', async () => {
    base0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const sweep = [0, 1, 1_000, 5_999, 6_000, 6_001, 13_000, 19_999, 20_000, 20_001, 30_000, 45_000, 59_999, 60_000, 60_001, 90_000, 3_599_999, 3_600_001, 7_200_000, 5_000, 0];
    const hits: Record<StatusRefresh, number[]> = { observe: [], none: [], write: [] };
    for (const refresh of ['observe', 'none'] as const) {
      const runDir = makeRun(base0, refresh);
      for (const offset of sweep) hits[refresh].push(await same(runDir, refresh, base0 + offset));
    }
    const seen = `observing: ${hits.observe.join(' ')}; snapshot: ${hits.none.join(' ')}`;
    // Built at base: a moment later every worker is a view (the 3 live ones already timed out with
    // their reclaim targets), dead-0 too (no raw events file: observing leaves it as it is); dead-1
    // is too as persisted (snapshot), not when observing (it is finalized). A view that ran out is
    // filed again at the instant status derived the worker, so every later status reads one (the
    // count is of views read, whether they still held or not: the texts above show they were only
    // used where they did).
    assert.deepEqual(hits.observe.slice(1), hits.observe.slice(1).map(() => 3 + RUNNING + 1), seen);
    assert.deepEqual(hits.none.slice(1), hits.none.slice(1).map(() => 3 + RUNNING + 2), seen);
  });

  it('are not used when observing finds something new: output since, or a dead worker\'s result', async () => {
    base0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    const runDir = makeRun(base0, 'observed');
    await same(runDir, 'observe', base0);
    assert.equal(await same(runDir, 'observe', base0 + 1), 3 + RUNNING + 1);
    // live-03 (quiet at base) wrote at base + 10 s; dead-0's raw events file now holds its result.
    const raw = join(runDir, 'raw-events', 'live-03.jsonl');
    appendFileSync(raw, '{"type":"item.completed","item":{"type":"agent_message","text":"half way"}}\n');
    utimesSync(raw, (base0 + 10_000) / 1000, (base0 + 10_000) / 1000);
    writeFileSync(join(runDir, 'raw-events', 'dead-0.jsonl'), CODEX_OK_STREAM);
    // Their records are unchanged, so their views are read, but the text is what observing gives.
    assert.equal(await same(runDir, 'observe', base0 + 15_000), 3 + RUNNING + 1);
    const document = JSON.parse(await statusText(runDir, 'observe', base0 + 15_000)) as { worker_visibility: { workers: { delegation_id: string; worker_lifecycle: { state: string } }[] } };
    const states = new Map(document.worker_visibility.workers.map((w) => [w.delegation_id, w.worker_lifecycle.state]));
    assert.deepEqual([states.get('live-03'), states.get('dead-0')], ['running_active', 'returned']);
  });
});
