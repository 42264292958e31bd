/**
 * A worker's entry as a template over `now` (src/lifecycle/view-template.ts), also as the record
 * cache files it (src/ops/status-view-cache.ts), gives back, byte for byte, what deriving the
 * record gives at every instant, for every record of the seed-golden runs
 * and of test/helpers' shapes whose child is not running; a running child's template holds from
 * when it was made until its progress age reaches the next threshold (derivedStateHoldsUntil). The
 * last test guards VIEW_TEMPLATE_VERSION: record caches keep templates across captain versions,
 * so any change to what the derivation writes must bump it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../../src/config/defaults.js';
import { reclaimTargetOf } from '../../src/lifecycle/reclaim-plan.js';
import { buildViewTemplate, fillViewTemplate, hasAgeOnlyEntry, VIEW_TEMPLATE_VERSION } from '../../src/lifecycle/view-template.js';
import { createVisibleWorker, workerFacts } from '../../src/lifecycle/visibility.js';
import { derivedStateHoldsUntil } from '../../src/lifecycle/derive.js';
import { decodeStatusView, encodeStatusView, fillStatusView } from '../../src/ops/status-view-cache.js';
import { usageOf } from '../../src/ops/usage.js';
import { createReadScratch } from '../../src/store/json-file.js';
import { readRecordFile } from '../../src/store/records.js';
import type { JsonObject } from '../../src/util/json.js';
import { at, runningDelegation, T0 } from '../helpers/records.js';

const GOLDEN = new URL('../fixtures/golden/', import.meta.url).pathname;
const NOW = (JSON.parse(readFileSync(join(GOLDEN, 'now.json'), 'utf8')) as { now_ms: number }).now_ms;

/** The seed-golden configs (as captain reads them: defaults under the file's keys). */
const CONFIGS: RuntimeConfig[] = readdirSync(join(GOLDEN, 'configs'))
  .sort()
  .map((name) => ({ ...DEFAULT_RUNTIME_CONFIG, ...(JSON.parse(readFileSync(join(GOLDEN, 'configs', name), 'utf8')) as Partial<RuntimeConfig>) }));

/** Every record of the golden runs (read as status reads them: float-literal marks kept), then the helpers' shapes. */
const corpus = (): { name: string; record: JsonObject }[] => {
  const scratch = createReadScratch();
  const records: { name: string; record: JsonObject }[] = [];
  for (const run of readdirSync(join(GOLDEN, 'runs')).sort()) {
    const dir = join(GOLDEN, 'runs', run, 'delegations');
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const read = readRecordFile(join(dir, name), scratch);
      if (read !== null && 'record' in read) records.push({ name: `${run}/${name}`, record: read.record });
    }
  }
  const shapes: [string, Parameters<typeof runningDelegation>[1]][] = [
    ['completed', { child: { status: 'completed' }, lifecycle: { state: 'returned', returned_at: at(5_000) } }],
    ['failed, reclaimed after timing out', { child: { status: 'failed' }, lifecycle: { state: 'timed_out', reclaim_state: 'reclaimed', timed_out_at: at(0) } }],
    ['failed, reclaimed while stale', { child: { status: 'failed' }, lifecycle: { state: 'stale', reclaim_state: 'reclaimed', stale_at: at(0) } }],
    ['cancelled, no progress yet', { child: { status: 'cancelled' }, lifecycle: { last_progress_at: null, process_last_seen_at: null } }],
    ['queued, stored as timed out', { child: { status: 'queued' }, lifecycle: { state: 'timed_out', reclaim_state: 'reclaim_needed' } }],
    ['unknown child status', { child: { status: 'paused' }, lifecycle: { state: 'running_quiet' } }],
    ['times in the future', { child: { status: 'completed' }, lifecycle: { last_progress_at: at(10 * 365 * 86_400_000), started_at: at(10 * 365 * 86_400_000) } }],
    ['only queued_at', { child: { status: 'failed' }, lifecycle: { started_at: null, process_started_at: null, last_progress_at: null, process_last_seen_at: null } }],
    ['no lifecycle', { top: { worker_lifecycle: null }, child: { status: 'completed' } }],
    ['usage and cost', { child: { status: 'completed' }, top: { worker_result: { total_token_usage: { input_tokens: 12, cached_input_tokens: 3, output_tokens: 7, total_tokens: 22 }, cost_usd: 0.0123 } } }],
    ['running', {}],
    ['running, stale', { lifecycle: { last_progress_at: at(-3_600_000) } }],
  ];
  for (const [name, overrides] of shapes) records.push({ name: `helpers/${name}`, record: runningDelegation(name.replace(/\W+/g, '-'), overrides) });
  return records;
};

const entryAt = (record: JsonObject, config: RuntimeConfig, nowMs: number): string => JSON.stringify(createVisibleWorker(record, config, nowMs));
/** Its reclaim target's text at `nowMs` (null: none). */
const targetAt = (record: JsonObject, config: RuntimeConfig, nowMs: number): string | null => {
  const target = reclaimTargetOf(createVisibleWorker(record, config, nowMs));
  return target === null ? null : JSON.stringify(target);
};

/** Instants around the records' times: long before (ages clamp at 0), around, and far after. */
const instants = (): number[] => {
  const list = [NOW, T0, T0 - 1, T0 + 1, 0, NOW - 86_400_000 * 400, NOW + 86_400_000 * 3650];
  let seed = 7;
  for (let i = 0; i < 40; i += 1) {
    seed = (seed * 48_271) % 2_147_483_647;
    list.push(T0 - 7 * 86_400_000 + (seed % (14 * 86_400_000)));
  }
  return list;
};

describe('view templates', () => {
  const records = corpus();

  it('give back the derived entry (and reclaim target) at every instant, for every record whose child is not running', () => {
    let templated = 0;
    let targets = 0;
    for (const config of CONFIGS) {
      for (const { name, record } of records) {
        const text = entryAt(record, config, NOW);
        const targetText = targetAt(record, config, NOW);
        const template = buildViewTemplate(record, config, NOW, text, workerFacts(createVisibleWorker(record, config, NOW)), targetText);
        if (!hasAgeOnlyEntry(record)) continue; // the next test
        assert.ok(template !== null, `${name}: no template`);
        templated += 1;
        // Stored as reclaim_needed: a target of the reclaim plan, templated too.
        if (targetText !== null) targets += 1;
        assert.equal(template.target === null, targetText === null, `${name}: a target template exactly when a target`);
        // Checked against another target text (or none where there is one): refused.
        assert.equal(buildViewTemplate(record, config, NOW, text, template.facts, targetText === null ? '{}' : null), null, `${name}: checked against the wrong target`);
        // As the record cache files it and status reads it back: bytes filled in place.
        const filed = decodeStatusView(Buffer.from(encodeStatusView({ cardId: 'card-1', usage: usageOf(record), template }), 'utf8'));
        assert.ok(filed !== null, `${name}: the filed view decodes`);
        assert.deepEqual([filed.cardId, filed.usage, filed.facts], ['card-1', usageOf(record), template.facts]);
        for (const nowMs of instants()) {
          assert.equal(fillViewTemplate(template, nowMs), entryAt(record, config, nowMs), `${name} at ${nowMs}`);
          assert.equal(fillStatusView(filed, nowMs).toString('utf8'), entryAt(record, config, nowMs), `${name} filed, at ${nowMs}`);
          assert.deepEqual(template.facts, workerFacts(createVisibleWorker(record, config, nowMs)), `${name} facts at ${nowMs}`);
          assert.equal(template.target === null ? null : fillViewTemplate(template.target, nowMs), targetAt(record, config, nowMs), `${name} target at ${nowMs}`);
          assert.equal(filed.target === null ? null : fillViewTemplate(filed.target, nowMs), targetAt(record, config, nowMs), `${name} filed target at ${nowMs}`);
        }
      }
    }
    assert.ok(targets >= 3, `target templates ${targets}`);
    assert.ok(templated >= 3 * 20, `templated ${templated}`);
  });

  it('give back a running worker\'s entry (and reclaim target) from when it was made until its progress age reaches the next threshold, and no further', () => {
    let templated = 0;
    let targets = 0;
    let cutAtChange = 0;
    const running = records.filter(({ record }) => !hasAgeOnlyEntry(record));
    assert.ok(running.length >= 10, `${running.length} running records in the corpus`);
    for (const config of CONFIGS) {
      for (const { name, record } of running) {
        // Made at several instants of the record's life: active, quiet, and past every threshold.
        for (const madeAt of [NOW, T0, T0 + 1, T0 + 30 * 60_000, T0 + 3 * 3_600_000, NOW + 86_400_000]) {
          const worker = createVisibleWorker(record, config, madeAt);
          const targetText = targetAt(record, config, madeAt);
          const template = buildViewTemplate(record, config, madeAt, JSON.stringify(worker), workerFacts(worker), targetText);
          const until = derivedStateHoldsUntil(record, config, madeAt);
          assert.ok(template !== null, `${name} at ${madeAt}: no template`);
          assert.equal(template.until, until);
          assert.equal(template.from, madeAt, 'a running worker\'s template never holds before it was made (its state was judged then)');
          assert.equal(template.target === null, targetText === null);
          templated += 1;
          if (targetText !== null) targets += 1;
          const filed = decodeStatusView(Buffer.from(encodeStatusView({ cardId: 'card-1', usage: usageOf(record), template, record: { text: JSON.stringify(record), floatLiteral: false } }), 'utf8'));
          assert.ok(filed !== null && filed.until === until && filed.from === template.from, `${name}: the filed view decodes`);
          assert.equal(filed.record?.text, JSON.stringify(record));
          const last = Number.isFinite(until) ? until - 1 : madeAt + 86_400_000 * 3650;
          const checks = [madeAt, madeAt + 1, last, Math.floor((madeAt + last) / 2)];
          for (let i = 1; i < 12; i += 1) checks.push(madeAt + Math.floor(((last - madeAt) * i) / 12));
          for (const nowMs of checks.filter((t) => t <= last)) {
            assert.equal(fillViewTemplate(template, nowMs), entryAt(record, config, nowMs), `${name} made at ${madeAt}, at ${nowMs}`);
            assert.equal(fillStatusView(filed, nowMs).toString('utf8'), entryAt(record, config, nowMs), `${name} filed, at ${nowMs}`);
            assert.deepEqual(template.facts, workerFacts(createVisibleWorker(record, config, nowMs)), `${name} facts at ${nowMs}`);
            assert.equal(template.target === null ? null : fillViewTemplate(template.target, nowMs), targetAt(record, config, nowMs), `${name} target at ${nowMs}`);
          }
          // At `until` the state moves on (or, for a launching worker, may not yet): a template used there would be wrong.
          if (Number.isFinite(until) && fillViewTemplate(template, until) !== entryAt(record, config, until)) cutAtChange += 1;
        }
      }
    }
    assert.ok(templated >= 20, `templated ${templated}`);
    assert.ok(targets >= 10, `target templates ${targets}`);
    assert.ok(cutAtChange >= 10, `the state changed right at until for ${cutAtChange} templates`);
  });

  it('a running worker\'s template holds the state judged when it was made, even where the probe would judge another', () => {
    const record = runningDelegation('r', {});
    const worker = createVisibleWorker(record, DEFAULT_RUNTIME_CONFIG, T0 + 1);
    assert.equal((worker.worker_lifecycle as JsonObject).state, 'running_active');
    const template = buildViewTemplate(record, DEFAULT_RUNTIME_CONFIG, T0 + 1, JSON.stringify(worker), workerFacts(worker));
    assert.ok(template !== null);
    assert.equal(template.facts.state, 'running_active');
    // Checked against another instant's text, or another state's facts: refused.
    assert.equal(buildViewTemplate(record, DEFAULT_RUNTIME_CONFIG, T0 + 2, JSON.stringify(worker), workerFacts(worker)), null);
    assert.equal(buildViewTemplate(record, DEFAULT_RUNTIME_CONFIG, T0 + 1, JSON.stringify(worker), { ...workerFacts(worker), state: 'running_quiet' }), null);
  });

  it('holes stand where ages stand, inside strings too', () => {
    const record = runningDelegation('r', { child: { status: 'failed' }, lifecycle: { state: 'timed_out', reclaim_state: 'reclaimed' } });
    const now = createVisibleWorker(record, DEFAULT_RUNTIME_CONFIG, NOW);
    const template = buildViewTemplate(record, DEFAULT_RUNTIME_CONFIG, NOW, JSON.stringify(now), workerFacts(now));
    assert.ok(template !== null);
    // elapsed_since_progress_ms twice (view, heartbeat), elapsed_ms, last_update_age_ms, elapsed_since_tick_ms, and the recovery reason's age.
    assert.equal(template.anchors.length, 6);
    assert.ok(template.text.includes('"recovery_reason":"worker progress age \u0001 ms reached reclaim threshold'));
  });

  it('is refused when the text it is checked against is not the derivation at that instant', () => {
    const record = runningDelegation('r', { child: { status: 'completed' } });
    const now = createVisibleWorker(record, DEFAULT_RUNTIME_CONFIG, NOW);
    const text = JSON.stringify(now);
    assert.equal(buildViewTemplate(record, DEFAULT_RUNTIME_CONFIG, NOW + 1, text, workerFacts(now)), null);
    assert.equal(buildViewTemplate(record, DEFAULT_RUNTIME_CONFIG, NOW, text.replace('worker r', 'worker s'), workerFacts(now)), null);
    assert.equal(buildViewTemplate(record, DEFAULT_RUNTIME_CONFIG, NOW, text, { ...workerFacts(now), state: 'failed' }), null, 'facts that are not the entry\'s');
  });

  it('a filed view decodes only as written: anchors of any sign, and anything else refused', () => {
    const usage = null;
    const view = (anchors: string, holes: number): Buffer =>
      Buffer.from(`${JSON.stringify({ card: 'c', usage, facts: ['returned', 'completed', false] })}\n${anchors}\n${'{"a":\u0001,'.repeat(holes)}"z":1}`, 'utf8');
    assert.deepEqual(decodeStatusView(view('', 0))?.anchors, []);
    assert.deepEqual(decodeStatusView(view('1764782263003,-62135596800000,0', 3))?.anchors, [1764782263003, -62135596800000, 0]);
    assert.deepEqual(fillStatusView(decodeStatusView(view('1000,-5', 2)) as NonNullable<ReturnType<typeof decodeStatusView>>, 1500).toString('utf8'), '{"a":500,{"a":1505,"z":1}');
    for (const bad of ['1,,2', ',1', '1,', '-', '1 2', '1.5', '1e3', '99999999999999999', '9007199254740993', 'x']) {
      assert.equal(decodeStatusView(view(bad, bad.split(',').length)), null, JSON.stringify(bad));
    }
    assert.equal(decodeStatusView(view('1,2', 3)), null, 'more holes than anchors');
    assert.equal(decodeStatusView(view('1,2,3', 2)), null, 'more anchors than holes');
  });

  it(`VIEW_TEMPLATE_VERSION (${VIEW_TEMPLATE_VERSION}) matches what the derivation writes`, () => {
    // The entries and usage of the whole corpus under every config at three instants. When this
    // fingerprint changes, caches filed by earlier builds hold templates of the old output:
    // bump VIEW_TEMPLATE_VERSION in src/lifecycle/view-template.ts and record the new pair here.
    const digest = createHash('sha256');
    for (const config of CONFIGS) {
      for (const { record } of records) {
        for (const nowMs of [NOW, T0, NOW + 86_400_000]) digest.update(entryAt(record, config, nowMs)).update('\n');
        digest.update(JSON.stringify(usageOf(record))).update('\n');
      }
    }
    // 2: the same output; views may carry a running worker's record now (a new view key keeps older builds off them).
    // 3: the same output; views may carry a reclaim target's template now (an older build would drop the target).
    const known: Record<number, string> = {
      1: 'kyoP7THTf8RfUUHwLXE7hFPUvl2cg9W57i8EID9fULU=',
      2: 'kyoP7THTf8RfUUHwLXE7hFPUvl2cg9W57i8EID9fULU=',
      3: 'kyoP7THTf8RfUUHwLXE7hFPUvl2cg9W57i8EID9fULU=',
    };
    assert.equal(
      `${VIEW_TEMPLATE_VERSION}:${digest.digest('base64')}`,
      `${VIEW_TEMPLATE_VERSION}:${known[VIEW_TEMPLATE_VERSION] ?? '(none recorded)'}`,
      'the derivation writes something else now: bump VIEW_TEMPLATE_VERSION (src/lifecycle/view-template.ts) and record the new fingerprint in this test',
    );
  });
});
