/**
 * `getStatusDocument` (the CLI's `--json` path: workers serialized slice by slice) must print
 * exactly `JSON.stringify(getStatus(...))`, whatever the slicing, and refresh the same way.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documentPieces } from '../../src/cli/json-stream.js';
import { DEFAULT_RUNTIME_CONFIG, STATUS_WRITER_THREAD_MIN_FILES } from '../../src/config/defaults.js';
import { openRunContext } from '../../src/ops/context.js';
import { getStatus, getStatusDocument, type StatusRefresh } from '../../src/ops/status.js';
import { startRefreshWriter, type RefreshWriter } from '../../src/ops/refresh-writes.js';
import type { JsonObject } from '../../src/util/json.js';
import { at, runningDelegation, T0 } from '../helpers/records.js';
import { CODEX_OK_STREAM } from '../helpers/run-dir.js';

const golden = new URL('../fixtures/golden/runs/', import.meta.url);
const NOW = T0 + 60_000;

const temp = mkdtempSync(join(tmpdir(), 'captain-doc-'));
after(() => rmSync(temp, { recursive: true, force: true }));

/** A run of `n` delegations in every shape status meets: all states, two cards, usage and cost, corrupt files, an escaping path. */
const mixedRun = (name: string, n: number, active: string | null = 'card-1'): string => {
  const runDir = join(temp, name);
  for (const dir of ['delegations', 'raw-events', 'task-cards']) mkdirSync(join(runDir, dir), { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify(active === null ? { run_id: name } : { run_id: name, active_task_card_id: active }));
  writeFileSync(join(runDir, 'task-cards', 'card-0.json'), JSON.stringify({ task_card_id: 'card-0' }));
  const statuses = ['running', 'completed', 'failed', 'cancelled', 'queued'];
  for (let i = 0; i < n; i++) {
    const id = `d${String(i).padStart(4, '0')}`;
    const status = statuses[i % statuses.length]!;
    const record = runningDelegation(id, {
      top: {
        task_card_id: i % 7 === 0 ? 'card-2' : 'card-1',
        worker_result: i % 3 === 0 ? { total_token_usage: { input_tokens: i, output_tokens: 2 * i }, cost_usd: i % 2 === 0 ? 0.001 * i : null } : null,
      },
      child: { status },
      lifecycle: {
        last_progress_at: at(-(i % 11) * 10_000),
        state: status === 'queued' ? 'queued' : 'running_active',
        stale_after_ms: 20_000 + (i % 5) * 10_000,
        timeout_after_ms: 30_000 + (i % 4) * 20_000,
      },
    });
    writeFileSync(join(runDir, 'delegations', `${id}.json`), JSON.stringify(record));
    // Some running ones have ended: a terminal stream and no process (the refresh finalizes them).
    if (status === 'running' && i % 2 === 0) {
      const raw = join(runDir, 'raw-events', `${id}.jsonl`);
      writeFileSync(raw, CODEX_OK_STREAM);
      utimesSync(raw, (T0 + 5_000) / 1000, (T0 + 5_000) / 1000);
    }
  }
  writeFileSync(join(runDir, 'delegations', 'zz-truncated.json'), '{"delegation_id": "t", ');
  writeFileSync(join(runDir, 'delegations', 'zz-escape.json'), JSON.stringify(runningDelegation('escape', { top: { worker_launch_evidence: { raw_events_file: '../../etc/passwd' } } })));
  return runDir;
};

const contextFor = (runDir: string) => openRunContext(runDir, { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 40_000 }, { now: () => NOW });
/** The refresh writer thread from source, counting what it answers. */
const outcomes = new Map<string, number>();
const countingWriter = (): RefreshWriter => {
  const writer = startRefreshWriter(new URL('../fixtures/refresh-writer/from-source.mjs', import.meta.url));
  return {
    submit: async (writes) => {
      const answered = await writer.submit(writes);
      for (const { outcome } of answered) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      return answered;
    },
    close: () => writer.close(),
  };
};

const documentText = async (runDir: string, sliceFiles: number, refresh: StatusRefresh = 'observe', writer?: RefreshWriter): Promise<string> => {
  const document = await getStatusDocument(contextFor(runDir), { refresh, sliceFiles, ...(writer === undefined ? {} : { writer }) });
  return [...documentPieces(document)].join('');
};
const objectText = (runDir: string, refresh: StatusRefresh = 'observe'): string => JSON.stringify(getStatus(contextFor(runDir), { refresh }));

describe('getStatusDocument prints what getStatus returns', () => {
  const SLICINGS = [1, 7, 250];

  for (const run of readdirSync(golden).sort()) {
    it(`golden run ${run}`, async () => {
      const runDir = join(temp, `golden-${run}`);
      cpSync(new URL(run, golden), runDir, { recursive: true });
      const expected = objectText(runDir);
      for (const sliceFiles of SLICINGS) assert.equal(await documentText(runDir, sliceFiles), expected, `slices of ${sliceFiles}`);
    });
  }

  it('a mixed run of 300 delegations, one task card and every task card, observed and as persisted', async () => {
    for (const active of ['card-1', null]) {
      const runDir = mixedRun(`mixed-${active ?? 'all'}`, 300, active);
      for (const [refresh, errors] of [['observe', 2], ['none', 1]] as const) {
        const expected = objectText(runDir, refresh);
        const status = JSON.parse(expected) as JsonObject;
        // The truncated record always; the escaping path only when the raw events are looked at.
        assert.equal((status.errors as unknown[]).length, errors, refresh);
        for (const sliceFiles of SLICINGS) assert.equal(await documentText(runDir, sliceFiles, refresh), expected, `${refresh}, slices of ${sliceFiles}`);
      }
    }
  });

  it('the refresh written by the writer thread is the refresh getStatus writes', async () => {
    const viaSlices = mixedRun('write-slices', 120);
    const viaObjects = mixedRun('write-objects', 120);
    const writer = countingWriter();
    const sliced = await documentText(viaSlices, 5, 'write', writer);
    await writer.close();
    assert.ok((outcomes.get('written') ?? 0) >= 8, `writer thread outcomes: ${JSON.stringify([...outcomes])}`);
    const direct = objectText(viaObjects, 'write');
    const records = (dir: string): string[] =>
      readdirSync(join(dir, 'delegations')).sort().map((f) => readFileSync(join(dir, 'delegations', f), 'utf8').replaceAll('write-slices', 'write-objects'));
    const finalized = records(viaSlices).filter((text) => /"returned_at": ?"/.test(text));
    assert.ok(finalized.length >= 8, `${finalized.length} records finalized by the refresh`);
    assert.deepEqual(records(viaSlices), records(viaObjects));
    assert.equal(sliced.replaceAll('write-slices', 'write-objects'), direct);
  });

  it('a record another process changes between observation and write is not overwritten: it is refreshed again under its lock', async () => {
    const runDir = mixedRun('conflict', 60);
    const writer = countingWriter();
    let changedPath: string | undefined;
    const racing: RefreshWriter = {
      submit: (writes) => {
        if (changedPath === undefined && writes[0] !== undefined) {
          // A concurrent writer (say the worker's monitor) records the end first.
          changedPath = writes[0].path;
          const record = JSON.parse(readFileSync(changedPath, 'utf8')) as JsonObject;
          writeFileSync(changedPath, JSON.stringify({ ...record, child_agent: { ...(record.child_agent as JsonObject), status: 'cancelled' }, concurrent: true }));
        }
        return writer.submit(writes);
      },
      close: () => writer.close(),
    };
    const before = outcomes.get('changed') ?? 0;
    const status = JSON.parse(await documentText(runDir, 7, 'write', racing)) as JsonObject;
    await writer.close();
    assert.equal((outcomes.get('changed') ?? 0) - before, 1);
    assert.ok(changedPath !== undefined);
    const onDisk = JSON.parse(readFileSync(changedPath, 'utf8')) as JsonObject;
    assert.equal(onDisk.concurrent, true, 'the concurrent update survives');
    assert.equal((onDisk.child_agent as JsonObject).status, 'cancelled');
    const id = onDisk.delegation_id;
    const shown = ((status.worker_visibility as JsonObject).workers as JsonObject[]).find((w) => w.delegation_id === id);
    assert.equal(shown?.status, 'cancelled', 'status shows the record as it is on disk');
  });

  it('without a writer thread (it cannot start) every write is done on the main thread', async () => {
    const viaMain = mixedRun('no-writer', 60);
    const viaObjects = mixedRun('no-writer-objects', 60);
    const broken = startRefreshWriter(join(temp, 'no-such-writer.js'));
    const text = await documentText(viaMain, 7, 'write', broken);
    assert.equal(text.replaceAll('no-writer-objects', 'x').replaceAll('no-writer', 'x'), objectText(viaObjects, 'write').replaceAll('no-writer-objects', 'x'));
  });

  it(`a run of ${STATUS_WRITER_THREAD_MIN_FILES} or more delegations is refreshed through the built writer thread by default`, async () => {
    const n = STATUS_WRITER_THREAD_MIN_FILES + 50;
    const viaDefault = mixedRun('default-writer', n);
    const viaObjects = mixedRun('default-writer-objects', n);
    let counts = { byWriter: 0, handedBack: 0 };
    const document = await getStatusDocument(contextFor(viaDefault), { refresh: 'write', onWrites: (c) => (counts = c) });
    const text = [...documentPieces(document)].join('');
    assert.ok(counts.byWriter > 100 && counts.handedBack === 0, `written by the thread / handed back: ${JSON.stringify(counts)}`);
    const records = (dir: string): string[] =>
      readdirSync(join(dir, 'delegations')).sort().map((f) => readFileSync(join(dir, 'delegations', f), 'utf8').replaceAll('default-writer-objects', 'x').replaceAll('default-writer', 'x'));
    const direct = objectText(viaObjects, 'write');
    assert.deepEqual(records(viaDefault), records(viaObjects));
    assert.equal(text.replaceAll('default-writer-objects', 'x').replaceAll('default-writer', 'x'), direct.replaceAll('default-writer-objects', 'x'));
  });

  it('with no delegations/ folder both payloads are null, as the seed answers', async () => {
    const runDir = join(temp, 'no-delegations');
    cpSync(new URL('no-delegations-dir', golden), runDir, { recursive: true });
    const status = JSON.parse(await documentText(runDir, 250)) as JsonObject;
    assert.equal(status.worker_visibility, null);
    assert.equal(status.reclaim_plan, null);
  });
});
