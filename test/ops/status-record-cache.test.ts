/**
 * `captain status` with the record cache (`<run>/.captain-cache/`) prints exactly what it prints
 * reading every file: cold, warm, with the cache file damaged, truncated or of another version, and
 * with records changed in every way a cache could miss (in place with the same size and mtime,
 * replaced by rename, deleted, added, turned into a FIFO or a symlink, rewritten by the refresh).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { documentPieces, writeJsonDocument } from '../../src/cli/json-stream.js';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { openRunContext } from '../../src/ops/context.js';
import { getStatusDocument, type StatusRefresh } from '../../src/ops/status.js';
import { statusViewKey } from '../../src/ops/status-view-cache.js';
import { openRecordCache, recordCacheFile, type RecordCacheCounts, type RecordCacheOptions, type RecordCacheSave } from '../../src/store/record-cache.js';
import { runCaptain } from '../helpers/cli.js';
import { at, runningDelegation, T0 } from '../helpers/records.js';
import { CODEX_OK_STREAM } from '../helpers/run-dir.js';

const NOW = T0 + 60_000;
const temp = mkdtempSync(join(tmpdir(), 'captain-record-cache-'));
after(() => rmSync(temp, { recursive: true, force: true }));

/** Reads happen "a minute later" for the racy check: every file is old enough to cache. */
const LATER: RecordCacheOptions = { wallClock: () => Date.now() + 60_000 };

/** A run of pretty-printed records in many shapes (a float literal, non-ASCII text, `__proto__`, a bad file). */
const makeRun = (name: string, n = 40): string => {
  const runDir = join(temp, name);
  for (const dir of ['delegations', 'raw-events', 'task-cards']) mkdirSync(join(runDir, dir), { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({ run_id: name, active_task_card_id: 'card-1' }));
  const statuses = ['running', 'completed', 'failed', 'cancelled', 'queued'];
  for (let i = 0; i < n; i += 1) {
    const id = `d${String(i).padStart(3, '0')}`;
    const status = statuses[i % statuses.length] as string;
    const record = runningDelegation(id, {
      top: {
        task_card_id: i % 7 === 0 ? 'card-2' : 'card-1',
        summary: i % 6 === 0 ? `travail n° ${i}: «données» — 完了 ✓` : `worker ${id}`,
        worker_result: i % 3 === 0 ? { total_token_usage: { input_tokens: i, output_tokens: 2 * i }, cost_usd: 0.001 * i } : null,
      },
      child: { status },
      lifecycle: { last_progress_at: at(-(i % 11) * 10_000), state: status === 'queued' ? 'queued' : 'running_active', stale_after_ms: 20_000 + (i % 5) * 10_000 },
    });
    let text = JSON.stringify(record, null, 2);
    // serde_json reads `30000.0` as no threshold: the mark must survive the cache.
    if (i === 3) text = text.replace(/"stale_after_ms": \d+/, '"stale_after_ms": 30000.0');
    if (i === 4) text = text.replace('"upstream_only_key"', '"__proto__": {"polluted": true}, "upstream_only_key"');
    writeFileSync(join(runDir, 'delegations', `${id}.json`), `${text}\n`);
    if (status === 'running' && i % 2 === 0) {
      const raw = join(runDir, 'raw-events', `${id}.jsonl`);
      writeFileSync(raw, CODEX_OK_STREAM);
      utimesSync(raw, (T0 + 5_000) / 1000, (T0 + 5_000) / 1000);
    }
  }
  writeFileSync(join(runDir, 'delegations', 'zz-truncated.json'), '{"delegation_id": "t", ');
  return runDir;
};

const CONFIG = { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 40_000 };
/** As the CLI opens it: finished (and queued) workers filed as views under the config's key. */
const VIEWS: RecordCacheOptions = { ...LATER, viewKey: statusViewKey(CONFIG) };

/** How many of makeRun's 40 records are filed as views by a status that observes, and by --snapshot (see the first test). */
const VIEWED = 31;
const VIEWED_AS_PERSISTED = 34;

const contextFor = (runDir: string, nowMs = NOW, config = CONFIG) => openRunContext(runDir, config, { now: () => nowMs });

/** A document as the CLI writes it (batches; a view's entry filled in there, see ViewEntryFiller), without the final newline. */
const written = async (document: unknown): Promise<string> => {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  await writeJsonDocument(document, sink);
  const text = Buffer.concat(chunks).toString('utf8');
  assert.ok(text.endsWith('\n'));
  return text.slice(0, -1);
};

const statusText = async (runDir: string, refresh: StatusRefresh, recordCache?: ReturnType<typeof openRecordCache>, nowMs = NOW, config = CONFIG): Promise<string> => {
  const document = await getStatusDocument(contextFor(runDir, nowMs, config), { refresh, sliceFiles: 7, ...(recordCache === undefined ? {} : { recordCache }) });
  // The full read through documentPieces, the cached one as the CLI writes it: both ways of writing agree.
  return recordCache === undefined ? [...documentPieces(document)].join('') : written(document);
};

/** Status with the cache, then without: the same text. Returns what the cache did. */
const sameAs = async (runDir: string, refresh: StatusRefresh = 'observe', opts: RecordCacheOptions = LATER, nowMs = NOW, config = CONFIG): Promise<RecordCacheCounts & { saved: RecordCacheSave }> => {
  const cache = openRecordCache(runDir, opts);
  const cached = await statusText(runDir, refresh, cache, nowMs, config);
  const saved = cache.save();
  const full = await statusText(runDir, refresh, undefined, nowMs, config);
  assert.equal(cached, full);
  return { ...cache.counts(), saved };
};
const same = sameAs;

const delegation = (runDir: string, id: string): string => join(runDir, 'delegations', `${id}.json`);

/** Sets the mtime of `path` to that of `reference`, to the nanosecond (`touch -r`). */
const copyTimes = (reference: string, path: string): void => {
  execFileSync('touch', ['-r', reference, path]);
};

/** Rewrites a record in place (same inode), same size, and puts its mtime back, to the nanosecond. */
const rewriteInPlace = (path: string, from: string, to: string): void => {
  assert.equal(from.length, to.length);
  const before = statSync(path, { bigint: true });
  const reference = `${path}.times`;
  writeFileSync(reference, '');
  copyTimes(path, reference);
  const text = readFileSync(path, 'utf8');
  assert.ok(text.includes(from), `${path} holds ${from}`);
  writeFileSync(path, text.replace(from, to));
  copyTimes(reference, path);
  rmSync(reference);
  const now = statSync(path, { bigint: true });
  assert.deepEqual([now.ino, now.size, now.mtimeNs], [before.ino, before.size, before.mtimeNs]);
};

describe('status with the record cache prints what a full read prints', () => {
  for (const [refresh, views] of [['observe', false], ['none', false], ['observe', true], ['none', true]] as const) {
    it(`cold, warm, and every kind of change (${refresh === 'none' ? '--snapshot' : 'refresh'}${views ? ', views filed' : ', texts only'})`, async () => {
      const runDir = makeRun(`changes-${refresh}-${views}`);
      const options = views ? VIEWS : LATER;
      const same = (dir: string, r: StatusRefresh) => sameAs(dir, r, options);
      const valid = 40;
      const cold = await same(runDir, refresh);
      assert.equal(cold.loaded, false);
      assert.equal(cold.hits, 0);
      assert.equal(cold.saved.written, true);
      assert.equal(cold.saved.entries, valid);
      assert.ok(existsSync(recordCacheFile(runDir)));

      const warm = await same(runDir, refresh);
      assert.deepEqual({ loaded: warm.loaded, hits: warm.hits, misses: warm.misses }, { loaded: true, hits: valid, misses: 1 });
      // Of the 40, 8 are running; the shown card's others are views: 28 of the 32 (every 7th is card-2);
      // so are the shown card's 3 running ones that observing leaves as they are (no raw events file:
      // stale, reclaim targets, views with their record); the 4 with a finished raw events file are
      // finalized on observing (as persisted, with --snapshot, the shown card's 3 of them are views too).
      assert.equal(warm.viewHits, views ? (refresh === 'none' ? VIEWED_AS_PERSISTED : VIEWED) : 0);
      assert.equal(warm.saved.written, false, 'nothing changed: the cache file is not rewritten');

      // In place, same size, same mtime: only the ctime tells.
      rewriteInPlace(delegation(runDir, 'd001'), '"status": "completed"', '"status": "cancelled"');
      rewriteInPlace(delegation(runDir, 'd003'), '30000.0', '40000.0');
      // Replaced by rename with a record of the same size, its mtime set to the old one.
      const replaced = delegation(runDir, 'd002');
      const old = statSync(replaced, { bigint: true });
      const next = `${replaced}.new`;
      writeFileSync(next, readFileSync(replaced, 'utf8').replace('"status": "failed"', '"status": "queued"'));
      copyTimes(replaced, next);
      renameSync(next, replaced);
      assert.equal(statSync(replaced, { bigint: true }).mtimeNs, old.mtimeNs);
      assert.equal(statSync(replaced, { bigint: true }).size, old.size);
      // Deleted, added, a FIFO, a symlink to another record, a dangling symlink.
      unlinkSync(delegation(runDir, 'd005'));
      writeFileSync(delegation(runDir, 'd999'), JSON.stringify(runningDelegation('d999', { child: { status: 'completed' } }), null, 2));
      unlinkSync(delegation(runDir, 'd006'));
      execFileSync('mkfifo', [delegation(runDir, 'd006')]);
      unlinkSync(delegation(runDir, 'd007'));
      symlinkSync(delegation(runDir, 'd008'), delegation(runDir, 'd007'));
      unlinkSync(delegation(runDir, 'd009'));
      symlinkSync(join(runDir, 'nowhere.json'), delegation(runDir, 'd009'));
      const changed = await same(runDir, refresh);
      assert.equal(changed.loaded, true);
      // d001, d002, d003, d006 (FIFO), d007 (another inode now), d009 (dangling), d999 (new), the bad file.
      assert.equal(changed.misses, 8);
      assert.equal(changed.hits, 33);
      assert.equal(changed.saved.written, true, 'enough changed: rewritten');
      // The rewritten file merges what it kept with what was read: only the FIFO, the dangling link and the bad file are read now.
      const again = await same(runDir, refresh);
      assert.deepEqual({ loaded: again.loaded, hits: again.hits, misses: again.misses }, { loaded: true, hits: 38, misses: 3 });
    });
  }

  it('a damaged, truncated, foreign or untrusted cache file is not used (or only where it checks out)', async () => {
    const runDir = makeRun('damaged');
    await same(runDir);
    const file = recordCacheFile(runDir);
    const good = readFileSync(file);

    // A flipped digit inside one record's text: that text fails its CRC-32, the others are used.
    const damaged = Buffer.from(good);
    const at = damaged.indexOf('"input_tokens": 3');
    assert.ok(at > 0);
    damaged[at + '"input_tokens": '.length] = '7'.charCodeAt(0);
    writeFileSync(file, damaged, { mode: 0o600 });
    const flipped = await same(runDir, 'observe', { ...LATER, rewriteShare: 1 });
    assert.deepEqual({ loaded: flipped.loaded, hits: flipped.hits, misses: flipped.misses }, { loaded: true, hits: 39, misses: 2 });

    const variants: [string, Buffer][] = [
      ['truncated', good.subarray(0, Math.floor(good.length / 2))],
      ['cut by one byte', good.subarray(0, good.length - 1)],
      ['another version', Buffer.concat([Buffer.from('captain-record-cache v2\n'), good.subarray('captain-record-cache v3\n'.length)])],
      ['garbage', Buffer.from('x'.repeat(4096))],
      ['empty', Buffer.alloc(0)],
      ['an index under other record limits', Buffer.from(good.toString('latin1').replace('limits\t16777216\t512\t', 'limits\t16777216\t513\t'), 'latin1')],
    ];
    for (const [what, bytes] of variants) {
      writeFileSync(file, bytes, { mode: 0o600 });
      const result = await same(runDir);
      assert.equal(result.loaded, false, what);
      assert.equal(result.hits, 0, what);
    }
    // A malformed index line: the index is not read past it.
    const text = good.toString('latin1');
    const firstLine = text.indexOf('\n', text.indexOf('limits\t')) + 1;
    writeFileSync(file, Buffer.from(`${text.slice(0, firstLine)}${text.slice(firstLine).replace('\t', ' ')}`, 'latin1'), { mode: 0o600 });
    const badLine = await same(runDir);
    assert.deepEqual({ loaded: badLine.loaded, hits: badLine.hits }, { loaded: true, hits: 0 });

    writeFileSync(file, good, { mode: 0o600 });
    chmodSync(file, 0o666);
    assert.equal((await same(runDir)).loaded, false, 'writable by others');
    if (process.geteuid?.() === 0) {
      writeFileSync(file, good, { mode: 0o600 });
      chownSync(file, 4242, 4242);
      assert.equal((await same(runDir)).loaded, false, 'owned by another user');
    }
    rmSync(file);
    symlinkSync(join(temp, 'elsewhere.bin'), file);
    writeFileSync(join(temp, 'elsewhere.bin'), good, { mode: 0o600 });
    assert.equal((await same(runDir)).loaded, false, 'a symlink');
  });

  it('views: filled in at any now, unused under another config, not trusted when damaged', async () => {
    const runDir = makeRun('views');
    await same(runDir, 'observe', VIEWS);
    // Later, much later, and before the records' times (ages clamp at 0): the same text as deriving.
    // (The first --snapshot files the 3 that observing finalized, as persisted.)
    for (const [i, nowMs] of [NOW, NOW + 3_600_000, NOW + 10 * 365 * 86_400_000, T0 - 86_400_000].entries()) {
      const result = await same(runDir, 'none', VIEWS, nowMs);
      assert.equal(result.viewHits, i === 0 ? VIEWED : VIEWED_AS_PERSISTED, `at ${nowMs}`);
    }
    // Read-only (--snapshot): views served, nothing written.
    const readOnly = await same(runDir, 'none', { ...VIEWS, readOnly: true });
    assert.deepEqual({ viewHits: readOnly.viewHits, written: readOnly.saved.written }, { viewHits: VIEWED_AS_PERSISTED, written: false });
    const fresh = makeRun('views-read-only', 10);
    const none = await same(fresh, 'none', { ...VIEWS, readOnly: true });
    assert.deepEqual({ loaded: none.loaded, written: none.saved.written }, { loaded: false, written: false });
    assert.equal(existsSync(join(fresh, '.captain-cache')), false, 'read-only: no cache folder made');
    // Another stale threshold: views filed under the old config are not used (the texts are).
    const other = { ...CONFIG, worker_stuck_after_ms: 10_000, worker_quiet_after_ms: 5_000 };
    const otherViews = await same(runDir, 'none', { ...LATER, viewKey: statusViewKey(other) }, NOW, other);
    assert.deepEqual({ viewHits: otherViews.viewHits, hits: otherViews.hits }, { viewHits: 0, hits: 40 - VIEWED_AS_PERSISTED });
    // Without views asked for, a file of views serves its texts only (and is rewritten with texts).
    await same(runDir, 'none', VIEWS);
    const textsOnly = await same(runDir, 'none', LATER);
    assert.deepEqual({ viewHits: textsOnly.viewHits, written: textsOnly.saved.written }, { viewHits: 0, written: true });
    // Asked for again, the texts served are replaced by views.
    const upgrade = await same(runDir, 'none', VIEWS);
    assert.deepEqual({ viewHits: upgrade.viewHits, hits: upgrade.hits, written: upgrade.saved.written }, { viewHits: 0, hits: 40, written: true });
    assert.equal((await same(runDir, 'none', VIEWS)).viewHits, VIEWED_AS_PERSISTED);
    // A flipped digit inside a view: it fails its CRC-32 and the record is read.
    const file = recordCacheFile(runDir);
    const damaged = readFileSync(file);
    const at = damaged.indexOf('"summary":"worker d001"');
    assert.ok(at > 0, 'd001 is filed as a view');
    damaged[at + '"summary":"worker d'.length] = '7'.charCodeAt(0);
    writeFileSync(file, damaged, { mode: 0o600 });
    const flipped = await same(runDir, 'none', { ...VIEWS, rewriteShare: 1 });
    assert.deepEqual({ viewHits: flipped.viewHits, misses: flipped.misses }, { viewHits: VIEWED_AS_PERSISTED - 1, misses: 2 });
  });

  it('a view\'s entry is read again from the cache file when it is written: not once the cache is saved, nor from a file changed in place', async () => {
    const runDir = makeRun('reread');
    await same(runDir, 'none', VIEWS);
    const ctx = contextFor(runDir);
    // Written before save: the text of a full read.
    const first = openRecordCache(runDir, VIEWS);
    const document = await getStatusDocument(ctx, { refresh: 'none', sliceFiles: 7, recordCache: first });
    assert.equal(first.counts().viewHits, VIEWED_AS_PERSISTED);
    assert.equal(await written(document), await statusText(runDir, 'none'));
    // Written after save (the file is closed): the write fails and says why, no entry is made up.
    first.save();
    await assert.rejects(written(document), /could not be read again from the record cache.*run the status again/);
    // The cache file written in place between deriving and writing (same bytes: only its ctime moves): not read again.
    const second = openRecordCache(runDir, VIEWS);
    const later = await getStatusDocument(ctx, { refresh: 'none', sliceFiles: 7, recordCache: second });
    const file = recordCacheFile(runDir);
    await new Promise((resolve) => setTimeout(resolve, 20));
    writeFileSync(file, readFileSync(file));
    await assert.rejects(written(later), /could not be read again from the record cache/);
    second.discard();
    // Replaced by rename meanwhile (as another status saves it): the open file is still the one read, so the entries are.
    const third = openRecordCache(runDir, VIEWS);
    const replaced = await getStatusDocument(ctx, { refresh: 'none', sliceFiles: 7, recordCache: third });
    const copy = `${file}.copy`;
    writeFileSync(copy, Buffer.alloc(readFileSync(file).length, 0x20), { mode: 0o600 });
    renameSync(copy, file);
    assert.equal(await written(replaced), await statusText(runDir, 'none'));
    third.discard();
  });

  it('a file changed within the racy margin is never cached, so a same-size, same-mtime rewrite is seen', async () => {
    const runDir = makeRun('racy', 10);
    // The real clock: the records were just written.
    const first = await same(runDir, 'observe', {});
    assert.equal(first.storable, 0);
    assert.equal(first.saved.written, false);
    rewriteInPlace(delegation(runDir, 'd001'), '"status": "completed"', '"status": "cancelled"');
    const second = await same(runDir, 'observe', {});
    assert.equal(second.hits, 0);
    // With a clock far enough ahead they are cached, and a later same-size rewrite still shows.
    await same(runDir, 'observe', LATER);
    rewriteInPlace(delegation(runDir, 'd001'), '"status": "cancelled"', '"status": "completed"');
    const third = await same(runDir, 'observe', LATER);
    assert.equal(third.hits, 9);
  });

  it('records the writing refresh rewrites are read again next time', async () => {
    const withCache = makeRun('write-cached');
    await same(withCache, 'none');
    const plain = join(temp, 'write-plain');
    cpSync(withCache, plain, { recursive: true, preserveTimestamps: true });
    rmSync(join(plain, '.captain-cache'), { recursive: true });
    const inodes = (dir: string): Map<string, bigint> =>
      new Map(readdirSync(join(dir, 'delegations')).map((f) => [f, statSync(join(dir, 'delegations', f), { bigint: true }).ino]));
    const before = inodes(withCache);
    const cache = openRecordCache(withCache, LATER);
    const cachedWrite = await statusText(withCache, 'write', cache);
    cache.save();
    const plainWrite = await statusText(plain, 'write');
    assert.equal(cachedWrite.replaceAll('write-cached', 'write-plain'), plainWrite);
    const records = (dir: string): string[] => readdirSync(join(dir, 'delegations')).sort().map((f) => readFileSync(join(dir, 'delegations', f), 'utf8'));
    assert.deepEqual(records(withCache).map((t) => t.replaceAll('write-cached', 'write-plain')), records(plain));
    const rewritten = [...inodes(withCache)].filter(([f, ino]) => before.get(f) !== ino).length;
    assert.equal(rewritten, 3, 'the three finalized records of the shown card');
    const after = await same(withCache, 'observe');
    // The rewritten records and the unreadable one.
    assert.equal(after.misses, rewritten + 1);
    assert.equal(after.hits, 40 - rewritten);
  });

  it('the CLI keeps the cache beside the run, and CAPTAIN_NO_RECORD_CACHE=1 turns it off', () => {
    const runDir = makeRun('cli', 5);
    const off = runCaptain(['status', '--run-dir', runDir, '--json', '--snapshot'], { env: { CAPTAIN_NO_RECORD_CACHE: '1' } });
    assert.equal(off.code, 0, off.stderr);
    assert.equal(existsSync(join(runDir, '.captain-cache')), false);
    // Records written now are too fresh to cache: make them old (mtime and ctime) by waiting is slow, so only the start is checked.
    const on = runCaptain(['status', '--run-dir', runDir, '--json', '--snapshot']);
    assert.equal(on.code, 0, on.stderr);
    assert.deepEqual(JSON.parse(on.stdout).errors, JSON.parse(off.stdout).errors);
    assert.equal(existsSync(join(runDir, '.captain-cache')), false, '--snapshot writes nothing, not even the folder');
    const writing = runCaptain(['status', '--run-dir', runDir, '--json']);
    assert.equal(writing.code, 0, writing.stderr);
    assert.equal(existsSync(recordCacheFile(runDir)), false, 'nothing old enough to cache yet');
    assert.deepEqual(readdirSync(join(runDir, '.captain-cache')), [], 'no temp file left behind');
  });
});
