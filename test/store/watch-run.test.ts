/**
 * watchRun on real run directories: what each kind of change looks like, coalescing, the safety
 * poll alone (as on a filesystem where fs.watch says nothing), a folder made after the watch began,
 * event pages cut at maxEvents with nothing missed or repeated, and closing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendRunEvent } from '../../src/store/events-log.js';
import { writeJsonAtomicSync } from '../../src/store/json-file.js';
import { runLayout } from '../../src/store/paths.js';
import { watchRun, type RunChange, type RunWatch } from '../../src/store/watch-run.js';
import { tempDir } from './helpers.js';

const newRunDir = (t: Parameters<typeof tempDir>[0], subdirs = ['delegations', 'raw-events']): string => {
  const runDir = join(tempDir(t), 'run');
  mkdirSync(runDir, { recursive: true });
  for (const sub of subdirs) mkdirSync(join(runDir, sub));
  writeFileSync(join(runDir, 'run.json'), '{"run_id":"run-1"}\n');
  return runDir;
};

/** Batches until `until` holds over everything seen, or fails after `ms`. */
const collect = async (watch: RunWatch, until: (seen: RunChange[]) => boolean, ms = 5_000): Promise<RunChange[]> => {
  const deadline = Date.now() + ms;
  const seen: RunChange[] = [];
  while (!until(seen)) {
    if (Date.now() >= deadline) assert.fail(`not seen within ${ms} ms: ${JSON.stringify(seen)}`);
    seen.push(...(await watch.batch(deadline - Date.now())));
  }
  return seen;
};

const record = (id: string): object => ({ delegation_id: id, child_agent: { status: 'running' } });
const event = (n: number): { event: string; at: string; n: number } => ({ event: 'e', at: '2026-01-01T00:00:00Z', n });

describe('watchRun', () => {
  it('names the record written, the raw events file grown, the exit record, the followed file, and each log event', async (t) => {
    const runDir = newRunDir(t);
    const outside = join(tempDir(t), 'worker.jsonl');
    writeFileSync(outside, '');
    const watch = watchRun(runDir, { cursor: 'end', files: [outside] });
    t.after(() => watch.close());
    writeJsonAtomicSync(join(runDir, 'delegations', 'dlg-1.json'), record('dlg-1') as never);
    let seen = await collect(watch, (s) => s.some((c) => c.kind === 'records'));
    assert.deepEqual(seen.find((c) => c.kind === 'records'), { kind: 'records', ids: ['dlg-1'] }, 'locks and temp files are not records');

    appendFileSync(join(runDir, 'raw-events', 'dlg-1.jsonl'), '{"type":"turn.started"}\n');
    seen = await collect(watch, (s) => s.some((c) => c.kind === 'raw-events'));
    assert.deepEqual(seen.find((c) => c.kind === 'raw-events'), { kind: 'raw-events', files: ['dlg-1.jsonl'] });

    writeFileSync(join(runDir, 'raw-events', 'dlg-1.3.exit.json.tmp'), '{"status":0}');
    renameSync(join(runDir, 'raw-events', 'dlg-1.3.exit.json.tmp'), join(runDir, 'raw-events', 'dlg-1.3.exit.json'));
    seen = await collect(watch, (s) => s.some((c) => c.kind === 'exit'));
    assert.deepEqual(seen.find((c) => c.kind === 'exit'), { kind: 'exit', ids: ['dlg-1'], files: ['dlg-1.3.exit.json'] });

    appendFileSync(outside, '{"type":"turn.started"}\n');
    seen = await collect(watch, (s) => s.some((c) => c.kind === 'file'));
    assert.deepEqual(seen.find((c) => c.kind === 'file'), { kind: 'file', path: outside });

    const first = appendRunEvent(runDir, event(1));
    const second = appendRunEvent(runDir, event(2));
    seen = await collect(watch, (s) => s.filter((c) => c.kind === 'transition').length >= 2);
    assert.deepEqual(seen.flatMap((c) => (c.kind === 'transition' ? [[c.event.n, c.cursor]] : [])), [[1, first], [2, second]]);
    assert.equal(watch.cursor, second);
  });

  it('coalesces a burst of writes into a few batches that name every record once', async (t) => {
    const runDir = newRunDir(t);
    const watch = watchRun(runDir, { coalesceMs: 50 });
    t.after(() => watch.close());
    const first = watch.batch(5_000);
    for (let i = 0; i < 40; i++) writeJsonAtomicSync(join(runDir, 'delegations', `dlg-${i % 8}.json`), record(`dlg-${i % 8}`) as never);
    const batches: RunChange[][] = [await first];
    const ids = new Set<string>();
    const add = (b: RunChange[]): void => b.forEach((c) => c.kind === 'records' && (c.ids ?? []).forEach((id) => ids.add(id)));
    add(batches[0]!);
    while (ids.size < 8) {
      const b = await watch.batch(2_000);
      assert.ok(b.length > 0, `every record named (saw ${[...ids].join(', ')})`);
      batches.push(b);
      add(b);
    }
    assert.ok(batches.length < 10, `40 writes in ${batches.length} batches`);
    for (const b of batches) assert.equal(b.filter((c) => c.kind === 'records').length, 1, 'one records change per batch');
  });

  it('the safety poll alone (no fs.watch) sees records, raw events, followed files and log events', async (t) => {
    const runDir = newRunDir(t);
    const followed = join(runDir, 'raw-events', 'dlg-9.jsonl');
    writeFileSync(followed, '');
    const watch = watchRun(runDir, { cursor: 0, fsWatch: false, pollMs: 50, files: [followed] });
    t.after(() => watch.close());
    assert.deepEqual(await watch.batch(200), [], 'an empty run: nothing to report');
    writeJsonAtomicSync(join(runDir, 'delegations', 'dlg-1.json'), record('dlg-1') as never);
    writeFileSync(join(runDir, 'raw-events', 'dlg-1.3.exit.json'), '{}');
    appendFileSync(followed, 'x\n');
    appendRunEvent(runDir, event(1));
    const seen = await collect(watch, (s) => ['records', 'raw-events', 'file', 'transition'].every((k) => s.some((c) => c.kind === k)), 3_000);
    assert.deepEqual(seen.find((c) => c.kind === 'records'), { kind: 'records' }, 'the poll cannot say which record');
    assert.deepEqual(seen.find((c) => c.kind === 'file'), { kind: 'file', path: followed });
  });

  it('a folder made after the watch began is watched from then on', async (t) => {
    const runDir = newRunDir(t, []);
    const watch = watchRun(runDir, { pollMs: 50 });
    t.after(() => watch.close());
    mkdirSync(runLayout(runDir).delegationsDir);
    await collect(watch, (s) => s.some((c) => c.kind === 'records'));
    await new Promise((r) => setTimeout(r, 120)); // the poll has started its watcher
    writeJsonAtomicSync(join(runDir, 'delegations', 'late.json'), record('late') as never);
    await collect(watch, (s) => s.some((c) => c.kind === 'records' && c.ids?.includes('late') === true));
  });

  it('cuts event pages at maxEvents and goes on where it stopped: no event missed or repeated; a torn tail waits', async (t) => {
    const runDir = newRunDir(t);
    for (let i = 0; i < 25; i++) appendRunEvent(runDir, event(i));
    const watch = watchRun(runDir, { cursor: 0, maxEvents: 10, records: false, rawEvents: false });
    t.after(() => watch.close());
    const sizes: number[] = [];
    const got: number[] = [];
    while (got.length < 25) {
      const b = await watch.batch(2_000);
      assert.ok(b.length > 0);
      sizes.push(b.length);
      got.push(...b.flatMap((c) => (c.kind === 'transition' ? [c.event.n as number] : [])));
    }
    assert.deepEqual(sizes, [10, 10, 5]);
    assert.deepEqual(got, Array.from({ length: 25 }, (_, i) => i));
    const line = JSON.stringify(event(25));
    appendFileSync(runLayout(runDir).eventsJsonl, line.slice(0, 12));
    assert.deepEqual(await watch.batch(300), [], 'half a line is no event');
    appendFileSync(runLayout(runDir).eventsJsonl, `${line.slice(12)}\n`);
    const rest = await collect(watch, (s) => s.length > 0);
    assert.deepEqual(rest.map((c) => c.kind === 'transition' && c.event.n), [25]);
  });

  it('abort ends a pending batch and the iteration; close is idempotent', async (t) => {
    const runDir = newRunDir(t);
    const abort = new AbortController();
    const watch = watchRun(runDir, { signal: abort.signal });
    const pending = watch.batch();
    setTimeout(() => abort.abort(), 50);
    assert.deepEqual(await pending, []);
    assert.equal(watch.closed, true);
    watch.close();

    const iterated: RunChange[] = [];
    const loop = watchRun(runDir, {});
    setTimeout(() => writeJsonAtomicSync(join(runDir, 'delegations', 'x.json'), record('x') as never), 30);
    for await (const change of loop) {
      iterated.push(change);
      break; // leaving the loop closes the watch
    }
    assert.equal(loop.closed, true);
    assert.equal(iterated[0]?.kind, 'records');
    const already = new AbortController();
    already.abort();
    assert.equal(watchRun(runDir, { signal: already.signal }).closed, true);
  });
});
