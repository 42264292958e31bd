import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { isCaptainError } from '../../src/errors.js';
import { activeTaskCardId, openRunDir, parseRunRef } from '../../src/store/run-dir.js';
import { tempDir } from './helpers.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    assert.ok(isCaptainError(error), String(error));
    return error.code;
  }
  return 'no error';
};

test('parseRunRef accepts plain paths and upstream ccc-run: refs', () => {
  assert.equal(parseRunRef('/abs/run'), '/abs/run');
  assert.equal(parseRunRef('relative/run'), resolve('relative/run'));
  assert.equal(parseRunRef('ccc-run:/home/u/.config/ccc/workspaces/ws--1a2b3c4d/runs/r1'), '/home/u/.config/ccc/workspaces/ws--1a2b3c4d/runs/r1');
  assert.equal(parseRunRef('ccc-run:/a/b/../c/'), '/a/c');
  assert.equal(code(() => parseRunRef('ccc-run:relative/run')), 'USAGE');
  assert.equal(code(() => parseRunRef('ccc-run:')), 'USAGE');
  assert.equal(code(() => parseRunRef('  ')), 'USAGE');
});

test('openRunDir reads run.json and returns the real absolute directory', (t) => {
  const root = realpathSync(tempDir(t));
  const run = join(root, 'runs', 'r1');
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'run.json'), JSON.stringify({ run_id: 'r1', active_task_card_id: 'card-1' }));
  symlinkSync(run, join(root, 'link'));
  for (const ref of [run, `ccc-run:${run}`, join(root, 'link'), `ccc-run:${join(root, 'link')}`]) {
    const opened = openRunDir(ref);
    assert.equal(opened.runDir, run, ref);
    assert.deepEqual(opened.run, { run_id: 'r1', active_task_card_id: 'card-1' });
  }
});

test('a missing folder or a folder without run.json is RUN_NOT_FOUND saying what a run dir is', (t) => {
  const root = tempDir(t);
  for (const ref of [join(root, 'nope'), `ccc-run:${join(root, 'nope')}`, root]) {
    try {
      openRunDir(ref);
      assert.fail('expected RUN_NOT_FOUND');
    } catch (error) {
      assert.ok(isCaptainError(error) && error.code === 'RUN_NOT_FOUND', String(error));
      assert.match(error.message, /a run directory is a folder holding run\.json/);
      assert.ok(error.message.includes(realpathSync(root)) || error.message.includes(root), error.message);
    }
  }
  writeFileSync(join(root, 'file'), '');
  assert.equal(code(() => openRunDir(join(root, 'file'))), 'RUN_NOT_FOUND');
});

test('a corrupt run.json is INVALID_RECORD, not RUN_NOT_FOUND', (t) => {
  const root = tempDir(t);
  writeFileSync(join(root, 'run.json'), '[]');
  assert.equal(code(() => openRunDir(root)), 'INVALID_RECORD');
});

test('activeTaskCardId: a non-blank string, else null', () => {
  assert.equal(activeTaskCardId({ active_task_card_id: 'card-1' }), 'card-1');
  assert.equal(activeTaskCardId({ active_task_card_id: '  ' }), null);
  assert.equal(activeTaskCardId({ active_task_card_id: '' }), null);
  assert.equal(activeTaskCardId({ active_task_card_id: 7 }), null);
  assert.equal(activeTaskCardId({ active_task_card_id: null }), null);
  assert.equal(activeTaskCardId({}), null);
});
