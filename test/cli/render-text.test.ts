/** The text renderers' layout rules (pure): tables that fit a width, progress lines, message excerpts. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fitTable } from '../../src/cli/render/format.js';
import { progressEnd, progressUpdate } from '../../src/cli/render/progress.js';
import { renderRunsText } from '../../src/cli/render/runs-text.js';
import { messageExcerpt } from '../../src/cli/render/wait-text.js';
import type { RunListEntry } from '../../src/ops/run-list.js';

const plain = { color: false };
const widest = (text: string): number => Math.max(...text.split('\n').map((l) => l.length));

describe('fitTable', () => {
  const rows = [
    ['a title that is much longer than any table would like it to be', 'running', 'a note that is also rather long, longer than it should be', 'dlg-20261203-055616Z-1d4ef1'],
    ['short', 'failed', 'execution_failed (exit 1)', 'dlg-20261203-055616Z-c08a40'],
  ];
  it('shrinks the flexible columns (cut with …) until the table fits; fixed columns stay whole', () => {
    for (const width of [100, 80, 72]) {
      const text = fitTable(['TITLE', 'STATE', 'NOTE', 'ID'], rows, plain, { width, indent: 2, flex: [{ index: 0, min: 10 }, { index: 2, min: 10 }] });
      assert.ok(widest(text) <= width, `${width}:\n${text}`);
      assert.match(text, /dlg-20261203-055616Z-1d4ef1/);
      assert.match(text, /…/);
      for (const line of text.split('\n')) assert.ok(line.startsWith('  '));
    }
  });
  it('a column lower in order gives up width first, down to its minimum; max caps a column even with room', () => {
    const text = fitTable(['TITLE', 'STATE', 'NOTE', 'ID'], rows, plain, { width: 200, flex: [{ index: 0, min: 12, max: 30 }, { index: 2, min: 10, order: 1 }] });
    const header = text.split('\n')[0] ?? '';
    assert.equal(header.indexOf('STATE'), 32, 'TITLE capped at 30');
    const narrow = fitTable(['TITLE', 'STATE', 'NOTE', 'ID'], rows, plain, { width: 90, flex: [{ index: 0, min: 12 }, { index: 2, min: 10, order: 1 }] });
    assert.equal((narrow.split('\n')[0] ?? '').indexOf('STATE'), 14, 'TITLE shrank to its minimum first');
  });
  it('hides a listed column when no row has a value there', () => {
    const text = fitTable(['A', 'B', 'C'], [['x', '-', 'z'], ['y', '', 'w']], plain, { width: 100, flex: [{ index: 2, min: 1 }], hideEmpty: [1] });
    assert.equal(text, 'A  C\nx  z\ny  w');
  });
});

describe('progress lines', () => {
  it('on a terminal: back to the start, erase to the end of the line, cut to the width; piped: plain lines', () => {
    assert.equal(progressUpdate('2 running · 1 returned', { tty: true, columns: 80 }), '\r\u001b[K2 running · 1 returned');
    assert.equal(progressUpdate('x'.repeat(50), { tty: true, columns: 20 }), `\r\u001b[K${'x'.repeat(18)}…`);
    assert.equal(progressUpdate('1 returned', { tty: false }), '1 returned\n');
    assert.equal(progressEnd({ tty: true }), '\n');
    assert.equal(progressEnd({ tty: false }), '');
  });
});

describe('wait: final message excerpt', () => {
  it('first lines (blank ones skipped), each cut, … when more follow', () => {
    assert.deepEqual(messageExcerpt('one\n\ntwo\nthree\nfour', 3, 10), ['one', 'two', 'three', '…']);
    assert.deepEqual(messageExcerpt(`${'y'.repeat(30)}`, 3, 10), [`${'y'.repeat(9)}…`]);
  });
});

describe('captain runs text', () => {
  const entry = (i: number, over: Partial<RunListEntry> = {}): RunListEntry => ({
    run_id: `run-20261203-0556${String(i).padStart(2, '0')}Z-c06a53`,
    run_dir: `/ws/.captain/runs/run-${i}`,
    title: `run number ${i} with a title long enough to need cutting down to size`,
    status: 'active',
    created_at: null,
    age_ms: 3 * 86_400_000 + i,
    outcome: 'fanned_in',
    worker_count: 6,
    counts: { returned: 5, failed: 1 },
    total_tokens: 1_234_567,
    cost_usd: 1.5,
    record_errors: 0,
    worktree_disk: null,
    error: null,
    ...over,
  });
  it('fits 100 columns with every column; an unreadable run shows its error', () => {
    const text = renderRunsText(
      { workspace: '/ws', runs_dir: '/ws/.captain/runs', runs: [entry(1), entry(2, { outcome: 'unreadable', error: 'run.json: invalid JSON at position 2 (Unexpected token)', worker_count: 0, counts: {}, total_tokens: 0, cost_usd: null })] },
      plain,
    );
    assert.ok(widest(text) <= 100, text);
    assert.match(text, /^TITLE\s+OUTCOME\s+WORKERS\s+AGE\s+TOKENS\s+COST\s+RUN$/m);
    assert.match(text, /fanned in\s+5 returned · 1 failed\s+3d 00h\s+1\.2M\s+\$1\.50\s+run-/);
    assert.match(text, /unreadable\s+run\.json: invalid J\S*\s.*run-/);
  });

  it('with --disk, a DISK column shows the bytes of the worktrees of each run that has worktrees', () => {
    const text = renderRunsText({ workspace: '/ws', runs_dir: '/ws/.captain/runs', runs: [entry(1, { worktree_disk: { worktrees: 3, bytes: 5 * 1024 * 1024 } }), entry(2, { worktree_disk: { worktrees: 0, bytes: 0 } })] }, plain);
    assert.ok(widest(text) <= 100, text);
    assert.match(text, /^TITLE\s+OUTCOME\s+WORKERS\s+AGE\s+TOKENS\s+COST\s+DISK\s+RUN$/m);
    assert.match(text, /\$1\.50\s+5\.2 MB\s+run-/);
  });
});
