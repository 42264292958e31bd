/**
 * The conformance suite every `RunStore` implementation must pass (after BullMQ's adapter
 * conformance tests): call `runStoreConformance(name, makeHarness)` from a test file. The harness
 * gives a fresh, empty run store per test plus the few implementation-specific moves the suite
 * cannot make through the port: corrupting a record, appending raw bytes to the event log (a
 * writer caught mid-append), and holding the supervisor slot from another process.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isCaptainError } from '../../src/errors.js';
import type { RunChange } from '../../src/store/watch-run.js';
import type { RunStore } from '../../src/store/run-store.js';
import type { JsonObject } from '../../src/util/json.js';

/** Another process holding the supervisor slot. */
export interface SlotHolderProcess {
  pid: number;
  /** SIGKILLs it and resolves once it is gone (it cannot release anything). */
  kill(): Promise<void>;
}

export interface RunStoreHarness {
  store: RunStore;
  /** Makes the stored delegation `id` unusable (not a JSON object), as a crashed foreign writer could. */
  corruptRecord(id: string): void | Promise<void>;
  /** Appends `bytes` to the event log as they are (no newline added): an append caught half-way. */
  appendRawEventBytes(bytes: string): void | Promise<void>;
  /** Starts another process that takes the supervisor slot; resolves once it holds it. */
  spawnSlotHolder(): Promise<SlotHolderProcess>;
  /** Removes everything the harness made. */
  cleanup(): void | Promise<void>;
}

const record = (id: string, extra: JsonObject = {}): JsonObject => ({
  delegation_id: id,
  run_id: 'run-1',
  task_card_id: 'card-1',
  child_agent: { status: 'running' },
  ...extra,
});

const event = (name: string, n: number): { event: string; at: string; n: number } => ({ event: name, at: new Date(0).toISOString(), n });

/** Collects changes until `until` holds for one of them or `ms` pass. */
const changesUntil = async (batch: (ms: number) => Promise<RunChange[]>, until: (c: RunChange) => boolean, ms = 5_000): Promise<RunChange[]> => {
  const deadline = Date.now() + ms;
  const seen: RunChange[] = [];
  while (Date.now() < deadline) {
    const changes = await batch(deadline - Date.now());
    seen.push(...changes);
    if (changes.some(until)) return seen;
  }
  assert.fail(`no matching change within ${ms} ms; saw ${JSON.stringify(seen)}`);
};

export const runStoreConformance = (name: string, makeHarness: () => RunStoreHarness | Promise<RunStoreHarness>): void => {
  describe(`RunStore conformance: ${name}`, () => {
    const withHarness = (fn: (h: RunStoreHarness) => Promise<void>) => async (): Promise<void> => {
      const h = await makeHarness();
      try {
        await fn(h);
      } finally {
        await h.cleanup();
      }
    };

    it('creates and loads records; a second create of an id is refused; an unknown id is null; an unsafe id is refused', withHarness(async ({ store }) => {
      await store.createRecord('dlg-a', record('dlg-a', { x_foreign: { nested: [1, 2] } }));
      await store.createRecord('dlg-b', record('dlg-b'));
      assert.deepEqual(await store.loadRecord('dlg-a'), { record: record('dlg-a', { x_foreign: { nested: [1, 2] } }) });
      await assert.rejects(store.createRecord('dlg-a', record('dlg-a', { other: true })), (e: unknown) => isCaptainError(e) && e.code === 'USAGE');
      assert.deepEqual(await store.loadRecord('dlg-a'), { record: record('dlg-a', { x_foreign: { nested: [1, 2] } }) }, 'the refused create wrote nothing');
      assert.equal(await store.loadRecord('dlg-missing'), null);
      await assert.rejects(store.loadRecord('../escape'), (e: unknown) => isCaptainError(e) && e.code === 'USAGE');
      const all = await store.loadRecords();
      assert.deepEqual(all.errors, []);
      assert.deepEqual(all.records.map((r) => r.record.delegation_id).sort(), ['dlg-a', 'dlg-b']);
    }));

    it('locked updates: 24 concurrent updaters lose no update, and every key survives', withHarness(async ({ store }) => {
      await store.createRecord('dlg-c', record('dlg-c', { count: 0 }));
      const n = 24;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          store.updateRecord('dlg-c', (current) => ({ ...current, count: (current.count as number) + 1, [`writer_${i}`]: i })),
        ),
      );
      assert.ok(results.every((r) => r.written));
      const loaded = await store.loadRecord('dlg-c');
      assert.ok(loaded !== null && 'record' in loaded);
      assert.equal(loaded.record.count, n, 'no lost update');
      for (let i = 0; i < n; i++) assert.equal(loaded.record[`writer_${i}`], i);
    }));

    it('an update keeps keys it does not know, and a mutation returning undefined writes nothing', withHarness(async ({ store }) => {
      const foreign = { upstream_extra: { deep: { list: [1, 'two', null] } }, 'odd key': 'ø' };
      await store.createRecord('dlg-d', record('dlg-d', foreign));
      const update = await store.updateRecord('dlg-d', (current) => ({ ...current, child_agent: { status: 'completed' } }));
      assert.equal(update.written, true);
      const loaded = await store.loadRecord('dlg-d');
      assert.deepEqual(loaded, { record: { ...record('dlg-d', foreign), child_agent: { status: 'completed' } } });
      const none = await store.updateRecord('dlg-d', () => undefined);
      assert.equal(none.written, false);
      assert.deepEqual(none.record, (loaded as { record: JsonObject }).record);
      await assert.rejects(store.updateRecord('dlg-none', (c) => c), (e: unknown) => isCaptainError(e) && e.code === 'NOT_FOUND');
    }));

    it('events: cursors never miss or repeat, page by page; a torn tail is not returned until it is whole', withHarness(async (h) => {
      const { store } = h;
      for (let i = 0; i < 3; i++) await store.appendEvent(event('first', i));
      const page = await store.readEvents(0);
      assert.deepEqual(page.events.map((e) => e.n), [0, 1, 2]);
      assert.equal(page.next_cursor, page.events.at(-1)!.cursor);
      for (let i = 3; i < 5; i++) await store.appendEvent(event('second', i));
      const after = await store.readEvents(page.next_cursor);
      assert.deepEqual(after.events.map((e) => e.n), [3, 4], 'exactly the new events');
      assert.deepEqual((await store.readEvents(after.next_cursor)).events, [], 'nothing repeats');
      // One event at a time, from the start: the same five, in order.
      const oneByOne: number[] = [];
      for (let cursor = 0; ; ) {
        const p = await store.readEvents(cursor, { limit: 1 });
        if (p.events.length === 0) break;
        oneByOne.push(...p.events.map((e) => e.n as number));
        cursor = p.next_cursor;
      }
      assert.deepEqual(oneByOne, [0, 1, 2, 3, 4]);
      // An append caught half-way: not returned, the cursor does not pass it.
      const line = JSON.stringify(event('torn', 5));
      await h.appendRawEventBytes(line.slice(0, 10));
      const torn = await store.readEvents(after.next_cursor);
      assert.deepEqual(torn.events, []);
      assert.equal(torn.next_cursor, after.next_cursor);
      await h.appendRawEventBytes(`${line.slice(10)}\n`);
      const whole = await store.readEvents(torn.next_cursor);
      assert.deepEqual(whole.events.map((e) => [e.event, e.n]), [['torn', 5]]);
    }));

    it('watch: delivers a record change and a log event after a write, and ends on abort', withHarness(async ({ store }) => {
      await store.createRecord('dlg-w', record('dlg-w'));
      await store.appendEvent(event('before', 0));
      const abort = new AbortController();
      const watch = store.watch({ cursor: 'end', signal: abort.signal });
      try {
        await store.updateRecord('dlg-w', (c) => ({ ...c, touched: true }));
        const seen = await changesUntil(watch.batch, (c) => c.kind === 'records' && (c.ids === undefined || c.ids.includes('dlg-w')));
        assert.ok(!seen.some((c) => c.kind === 'transition'), 'events before the watch began are not delivered with cursor "end"');
        const cursor = await store.appendEvent(event('after', 1));
        const next = await changesUntil(watch.batch, (c) => c.kind === 'transition');
        const transitions = next.filter((c): c is Extract<RunChange, { kind: 'transition' }> => c.kind === 'transition');
        assert.deepEqual(transitions.map((c) => [c.event.event, c.cursor]), [['after', cursor]]);
        assert.equal(watch.cursor, cursor);
      } finally {
        abort.abort();
      }
      assert.equal(watch.closed, true);
      assert.deepEqual(await watch.batch(), [], 'a closed watch answers at once, with nothing');
      // Iteration ends on abort too.
      const iterAbort = new AbortController();
      const ended = (async () => {
        const got: RunChange[] = [];
        for await (const change of store.watch({ signal: iterAbort.signal })) got.push(change);
        return got;
      })();
      setTimeout(() => iterAbort.abort(), 100);
      assert.ok(Array.isArray(await ended));
    }));

    it('supervisor slot: exclusive, and taken over at once from a SIGKILLed holder', withHarness(async (h) => {
      const { store } = h;
      assert.equal(await store.currentHolder(), null);
      const release = await store.acquireSupervisorSlot('conformance');
      assert.equal((await store.currentHolder())?.pid, process.pid);
      await assert.rejects(store.acquireSupervisorSlot('second'), (e: unknown) => isCaptainError(e) && e.code === 'USAGE' && e.message.includes(String(process.pid)));
      release();
      assert.equal(await store.currentHolder(), null);

      const other = await h.spawnSlotHolder();
      try {
        assert.equal((await store.currentHolder())?.pid, other.pid);
        await assert.rejects(store.acquireSupervisorSlot('while held'), (e: unknown) => isCaptainError(e) && e.code === 'USAGE' && e.message.includes(String(other.pid)));
      } finally {
        await other.kill();
      }
      assert.equal(await store.currentHolder(), null, 'a dead holder holds nothing');
      const started = Date.now();
      const mine = await store.acquireSupervisorSlot('after the kill');
      assert.ok(Date.now() - started < 2_000, 'taken over at once, not after a timeout');
      assert.equal((await store.currentHolder())?.pid, process.pid);
      mine();
    }));

    it('a corrupt record is reported, not thrown, and hides no other record', withHarness(async (h) => {
      const { store } = h;
      await store.createRecord('dlg-good', record('dlg-good'));
      await store.createRecord('dlg-bad', record('dlg-bad'));
      await h.corruptRecord('dlg-bad');
      const all = await store.loadRecords();
      assert.deepEqual(all.records.map((r) => r.record.delegation_id), ['dlg-good']);
      assert.equal(all.errors.length, 1);
      assert.match(all.errors[0]!.path, /dlg-bad/);
      assert.ok(all.errors[0]!.reason.length > 0);
      const one = await store.loadRecord('dlg-bad');
      assert.ok(one !== null && 'error' in one, 'loadRecord reports it');
      await assert.rejects(store.updateRecord('dlg-bad', (c) => c), (e: unknown) => isCaptainError(e) && e.code === 'INVALID_RECORD');
    }));
  });
};
