/** The pure parts of `captain top`: rows from records at a fixed clock, the composed screen, key splitting, the line-diff writer. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { buildTopModel, filterRows } from '../../src/tui/view-model.js';
import { composeFrame, initialTopState } from '../../src/tui/frame.js';
import { splitKeys } from '../../src/tui/keys.js';
import type { Key } from 'ink';
import { rawKeys } from '../../src/tui/ink-screen.js';
import type { RunView } from '../../src/tui/load.js';
import type { JsonObject } from '../../src/util/json.js';

const NOW = Date.parse('2026-01-01T00:01:00Z');
const running = (id: string, progressAt: string, extra: JsonObject = {}): JsonObject => ({
  delegation_id: id,
  summary: `work ${id}`,
  task_card_id: 'tc',
  created_at: '2026-01-01T00:00:00Z',
  worker_request: { kind: 'command', attempt: 1 },
  child_agent: { status: 'running' },
  worker_lifecycle: { state: 'running', last_progress_at: progressAt, started_at: '2026-01-01T00:00:00Z' },
  ...extra,
});
const returned: JsonObject = {
  delegation_id: 'd-done',
  summary: 'finished\nwork',
  task_card_id: 'tc',
  created_at: '2026-01-01T00:00:05Z',
  worker_request: { kind: 'codex', attempt: 2, retry_of: 'd-first', retry_root: 'd-first' },
  child_agent: { status: 'completed' },
  worker_lifecycle: { state: 'returned', returned_at: '2026-01-01T00:00:50Z' },
  worker_result: { total_token_usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 20, reasoning_output_tokens: 0, total_tokens: 120 }, cost_usd: 0.25 },
};

const model = () =>
  buildTopModel({
    records: [returned, running('d-quiet', '2026-01-01T00:00:30Z'), running('d-fresh', '2026-01-01T00:00:55Z')],
    config: DEFAULT_RUNTIME_CONFIG,
    nowMs: NOW,
    lastEvents: new Map([['d-fresh', 'editing src/a.ts']]),
  });

describe('top view-model', () => {
  it('judges each worker against its thresholds at the clock given', () => {
    const rows = new Map(model().rows.map((r) => [r.delegation_id, r]));
    assert.equal(rows.get('d-fresh')?.age_level, 'fresh');
    assert.equal(rows.get('d-fresh')?.age_ms, 5_000);
    assert.equal(rows.get('d-fresh')?.last_event, 'editing src/a.ts');
    assert.equal(rows.get('d-quiet')?.phase, 'running_quiet');
    assert.equal(rows.get('d-quiet')?.age_level, 'quiet');
    assert.equal(rows.get('d-quiet')?.quiet_after_ms, DEFAULT_RUNTIME_CONFIG.worker_stuck_after_ms / 2);
    const done = rows.get('d-done');
    assert.equal(done?.phase, 'returned');
    assert.equal(done?.age_level, 'ended');
    assert.equal(done?.age_ms, 10_000);
    assert.equal(done?.title, 'finished work');
    assert.equal(done?.kind, 'codex');
    assert.equal(done?.tokens, 120);
    assert.equal(done?.cost_usd, 0.25);
    assert.equal(done?.retry, 'attempt 2 of d-first');
  });

  it('a worker past its stale threshold reads stale; counts and fan-in cover every worker', () => {
    const m = buildTopModel({ records: [running('d-old', '2026-01-01T00:00:00Z')], config: { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 40_000 }, nowMs: NOW });
    assert.equal(m.rows[0]?.age_level, 'stale');
    assert.equal(m.fan_in, 'waiting on 1');
    const all = model();
    assert.equal(all.fan_in, 'waiting on 2');
    assert.equal(all.tokens, 120);
    assert.match(all.counts, /1 returned/);
    assert.equal(buildTopModel({ records: [returned], config: DEFAULT_RUNTIME_CONFIG, nowMs: NOW }).fan_in, 'all returned');
  });

  it('filters by title, id, kind or phase', () => {
    const rows = model().rows;
    assert.deepEqual(filterRows(rows, 'CODEX').map((r) => r.delegation_id), ['d-done']);
    assert.deepEqual(filterRows(rows, 'quiet').map((r) => r.delegation_id), ['d-quiet']);
    assert.equal(filterRows(rows, '  ').length, 3);
  });
});

describe('top screen composition', () => {
  const view = (): RunView => ({ ...model(), run_dir: '/tmp/run', run_id: 'run-1', worktrees: { root: '/tmp/run/worktrees', worktrees: 2, bytes: 12_300_000 }, errors: [] });
  const plain = { color: false };

  it('fills exactly the terminal, every line at most its width, and marks the selection', () => {
    for (const size of [{ columns: 80, rows: 24 }, { columns: 100, rows: 30 }, { columns: 40, rows: 8 }]) {
      const lines = composeFrame([view()], initialTopState(), size, plain);
      assert.equal(lines.length, size.rows);
      for (const line of lines) assert.ok(line.length <= size.columns, `${JSON.stringify(line)} wider than ${size.columns}`);
      assert.match(lines[0] ?? '', /run run-1/);
      assert.match(lines[3] ?? '', /^> /);
      assert.match(lines[size.rows - 1] ?? '', /q quit/);
    }
    const wide = composeFrame([view()], initialTopState(), { columns: 100, rows: 30 }, plain);
    assert.match(wide[2] ?? '', /USAGE/);
    assert.match(wide[1] ?? '', /1 returned · 120 tok \$0\.250 · worktrees: 2, 12\.3 MB/);
  });

  it('scrolls to keep the selected worker on screen', () => {
    const many = { ...view(), rows: Array.from({ length: 40 }, (_, i) => ({ ...model().rows[0]!, delegation_id: `d-${i}`, title: `t${i}` })) };
    const lines = composeFrame([many], { ...initialTopState(), selected: { run_dir: '/tmp/run', delegation_id: 'd-39' } }, { columns: 80, rows: 10 }, plain);
    assert.equal(lines.length, 10);
    assert.ok(lines.some((l) => l.startsWith('> ') && l.includes('t39')));
  });

  it('the detail pane shows the outcome and the tail of the log; prompts replace the footer', () => {
    const state = { ...initialTopState(), mode: 'detail' as const, selected: { run_dir: '/tmp/run', delegation_id: 'd-done' } };
    const log = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    const lines = composeFrame([view()], state, { columns: 80, rows: 24 }, plain, { log, outcome: 'all green' });
    assert.match(lines[0] ?? '', /worker d-done · codex · finished work/);
    assert.ok(lines.includes('result: all green'.padEnd(80)));
    assert.match(lines[22] ?? '', /^line 49/);
    assert.ok(!lines.some((l) => l.startsWith('line 0 ')));
    const confirm = composeFrame([view()], { ...state, mode: 'confirm-cancel' }, { columns: 80, rows: 24 }, plain);
    assert.match(confirm[23] ?? '', /cancel d-done\? y to confirm/);
    const filtering = composeFrame([view()], { ...initialTopState(), mode: 'filter', filter: 'zzz' }, { columns: 80, rows: 24 }, plain);
    assert.match(filtering[3] ?? '', /no worker matches "zzz"/);
    assert.match(filtering[23] ?? '', /^filter: zzz/);
  });
});

describe('top keys', () => {
  it('splits one read into keys (arrows in CSI and SS3 form)', () => {
    assert.deepEqual(splitKeys('\u001b[B\u001b[B\r'), ['\u001b[B', '\u001b[B', '\r']);
    assert.deepEqual(splitKeys('\u001bOAq'), ['\u001b[A', 'q']);
    assert.deepEqual(splitKeys('/ab'), ['/', 'a', 'b']);
    assert.deepEqual(splitKeys('\u001b'), ['\u001b']);
  });

  it('turns ink\'s parsed input back into the app\'s keys (a typed chunk split into its keys)', () => {
    const none = { upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false, numLock: false } as unknown as Key;
    assert.deepEqual(rawKeys('', { ...none, upArrow: true }), ['\u001b[A']);
    assert.deepEqual(rawKeys('', { ...none, return: true }), ['\r']);
    assert.deepEqual(rawKeys('', { ...none, escape: true }), ['\u001b']);
    assert.deepEqual(rawKeys('c', { ...none, ctrl: true }), ['\u0003']);
    assert.deepEqual(rawKeys('again\r', none), ['a', 'g', 'a', 'i', 'n', '\r']);
    assert.deepEqual(rawKeys('q', none), ['q']);
  });
});
