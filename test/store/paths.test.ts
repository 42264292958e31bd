import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isCaptainError, type CaptainError } from '../../src/errors.js';
import {
  defaultRawEventsPath,
  delegationPath,
  locateRawEventsFile,
  passFolderResolver,
  resolveInsideRun,
  resolveRawEventsFile,
  runLayout,
  taskCardPath,
} from '../../src/store/paths.js';
import type { JsonObject } from '../../src/util/json.js';
import { tempDir } from './helpers.js';

const thrown = (fn: () => unknown): CaptainError => {
  try {
    fn();
  } catch (error) {
    assert.ok(isCaptainError(error), String(error));
    return error;
  }
  assert.fail('expected a throw');
};

/** A real run dir with raw-events/, plus a sibling folder outside it. */
const setup = (t: Parameters<typeof tempDir>[0]): { root: string; run: string; outside: string } => {
  const root = realpathSync(tempDir(t));
  const run = join(root, 'run');
  const outside = join(root, 'outside');
  mkdirSync(join(run, 'raw-events'), { recursive: true });
  mkdirSync(join(run, 'delegations'));
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.jsonl'), '{}\n');
  return { root, run, outside };
};

test('runLayout uses the upstream names', () => {
  assert.deepEqual(runLayout('/r'), {
    runDir: '/r',
    runJson: '/r/run.json',
    taskCardsDir: '/r/task-cards',
    delegationsDir: '/r/delegations',
    rawEventsDir: '/r/raw-events',
    eventsJsonl: '/r/events.jsonl',
    lockDir: '/r/.captain-locks',
  });
  assert.equal(taskCardPath('/r', 'card-1'), '/r/task-cards/card-1.json');
  assert.equal(delegationPath('/r', 'd-1'), '/r/delegations/d-1.json');
  assert.equal(defaultRawEventsPath('/r', 'd-1'), '/r/raw-events/d-1.jsonl');
});

test('ids that are not plain file names are rejected: USAGE from arguments, INVALID_RECORD from records', () => {
  for (const bad of ['', '../run', 'a/b', 'a\\b', '..', 'x..y', 'nul\0']) {
    const error = thrown(() => delegationPath('/r', bad));
    assert.equal(error.code, 'USAGE', bad);
    assert.match(error.message, /^delegation id /);
  }
  assert.equal(thrown(() => taskCardPath('/r', '../../etc/passwd')).code, 'USAGE');
  const fromRecord = thrown(() => defaultRawEventsPath('/r', '../x', { field: 'delegation_id', recordPath: '/r/delegations/x.json' }));
  assert.equal(fromRecord.code, 'INVALID_RECORD');
  assert.match(fromRecord.message, /^\/r\/delegations\/x\.json: delegation_id "\.\.\/x" contains/);
});

test('relative and absolute paths inside the run are accepted and resolved against it', (t) => {
  const { run } = setup(t);
  const opts = { field: 'worker_launch_evidence.raw_events_file', recordPath: join(run, 'delegations', 'd1.json') };
  assert.equal(resolveInsideRun(run, 'raw-events/d1.jsonl', opts), join(run, 'raw-events', 'd1.jsonl'));
  assert.equal(resolveInsideRun(run, join(run, 'raw-events', 'd1.jsonl'), opts), join(run, 'raw-events', 'd1.jsonl'));
  // Not existing yet, several levels deep, with a harmless `..` inside.
  assert.equal(resolveInsideRun(run, 'raw-events/new/deeper/../x.jsonl', opts), join(run, 'raw-events', 'new', 'x.jsonl'));
});

test('a path escaping with ../ is PATH_OUTSIDE_RUN naming record, field and resolved path; allowOutside accepts it', (t) => {
  const { run, outside } = setup(t);
  const recordPath = join(run, 'delegations', 'd1.json');
  const opts = { field: 'worker_launch_evidence.raw_events_file', recordPath };
  for (const candidate of ['../outside/secret.jsonl', join(outside, 'secret.jsonl'), 'raw-events/missing/../../../outside/secret.jsonl']) {
    const error = thrown(() => resolveInsideRun(run, candidate, opts));
    assert.equal(error.code, 'PATH_OUTSIDE_RUN', candidate);
    assert.ok(error.message.startsWith(`${recordPath}: worker_launch_evidence.raw_events_file `), error.message);
    assert.match(error.message, new RegExp(`resolves to ${join(outside, 'secret.jsonl')}, outside the run directory ${run}`));
    assert.match(error.message, /--allow-outside-paths/);
    assert.equal(error.data?.['resolvedPath'], join(outside, 'secret.jsonl'));
    assert.equal(resolveInsideRun(run, candidate, { ...opts, allowOutside: true }), join(outside, 'secret.jsonl'));
  }
});

test('a symlink inside the run pointing outside is rejected after resolving it', (t) => {
  const { run, outside } = setup(t);
  symlinkSync(join(outside, 'secret.jsonl'), join(run, 'raw-events', 'link.jsonl'));
  symlinkSync(outside, join(run, 'raw-events', 'dirlink'));
  const opts = { field: 'worker_launch_evidence.raw_events_file', recordPath: 'delegations/d1.json' };
  for (const candidate of ['raw-events/link.jsonl', 'raw-events/dirlink/secret.jsonl', 'raw-events/dirlink/not-yet.jsonl']) {
    const error = thrown(() => resolveInsideRun(run, candidate, opts));
    assert.equal(error.code, 'PATH_OUTSIDE_RUN', candidate);
    assert.match(error.message, /^delegations\/d1\.json: /);
  }
  assert.equal(resolveInsideRun(run, 'raw-events/link.jsonl', { ...opts, allowOutside: true }), join(outside, 'secret.jsonl'));
  // `link/..` is the parent of the link's target, as the OS reads it: outside.
  assert.equal(thrown(() => resolveInsideRun(run, 'raw-events/dirlink/../outside/secret.jsonl', opts)).code, 'PATH_OUTSIDE_RUN');
});

test('a run dir reached through a symlink still contains its own files', (t) => {
  const { root, run } = setup(t);
  symlinkSync(run, join(root, 'run-link'));
  const viaLink = join(root, 'run-link');
  assert.equal(resolveInsideRun(viaLink, 'raw-events/d1.jsonl', { field: 'f' }), join(run, 'raw-events', 'd1.jsonl'));
  assert.equal(resolveInsideRun(viaLink, join(viaLink, 'raw-events', 'd1.jsonl'), { field: 'f' }), join(run, 'raw-events', 'd1.jsonl'));
  assert.equal(resolveInsideRun(run, join(viaLink, 'raw-events', 'd1.jsonl'), { field: 'f' }), join(run, 'raw-events', 'd1.jsonl'));
});

test('resolveRawEventsFile: the recorded file, else raw-events/<delegation_id>.jsonl, else from the file name', (t) => {
  const { run, outside } = setup(t);
  const recordPath = join(run, 'delegations', 'from-file.json');
  assert.equal(
    resolveRawEventsFile(run, { delegation_id: 'd1', worker_launch_evidence: { raw_events_file: 'raw-events/custom.jsonl' } }, { recordPath }),
    join(run, 'raw-events', 'custom.jsonl'),
  );
  assert.equal(resolveRawEventsFile(run, { delegation_id: 'd1', worker_launch_evidence: { raw_events_file: '' } }, { recordPath }), join(run, 'raw-events', 'd1.jsonl'));
  assert.equal(resolveRawEventsFile(run, { delegation_id: 'd1', worker_launch_evidence: { raw_events_file: null } }), join(run, 'raw-events', 'd1.jsonl'));
  assert.equal(resolveRawEventsFile(run, { delegation_id: 42 }, { recordPath }), join(run, 'raw-events', 'from-file.jsonl'));
  assert.equal(thrown(() => resolveRawEventsFile(run, {})).code, 'INVALID_RECORD');

  const escaping = { delegation_id: 'd1', worker_launch_evidence: { raw_events_file: '../outside/secret.jsonl' } };
  const error = thrown(() => resolveRawEventsFile(run, escaping, { recordPath }));
  assert.equal(error.code, 'PATH_OUTSIDE_RUN');
  assert.match(error.message, /from-file\.json: worker_launch_evidence\.raw_events_file "\.\.\/outside\/secret\.jsonl" resolves to/);
  assert.equal(resolveRawEventsFile(run, escaping, { recordPath, allowOutside: true }), join(outside, 'secret.jsonl'));

  const badId = thrown(() => resolveRawEventsFile(run, { delegation_id: '../../x' }, { recordPath }));
  assert.equal(badId.code, 'INVALID_RECORD');
  assert.match(badId.message, /from-file\.json: delegation_id/);

  // raw-events/ itself linked outside: the default path is checked too.
  const run2 = join(outside, '..', 'run2');
  mkdirSync(run2);
  symlinkSync(outside, join(run2, 'raw-events'));
  assert.equal(thrown(() => resolveRawEventsFile(run2, { delegation_id: 'd1' })).code, 'PATH_OUTSIDE_RUN');
});

test('locateRawEventsFile: the path resolveRawEventsFile gives and what stat says of it, for every kind of leaf', (t) => {
  const { root, run, outside } = setup(t);
  const recordPath = join(run, 'delegations', 'd1.json');
  const raw = join(run, 'raw-events', 'd1.jsonl');
  const same = (record: JsonObject): void => {
    const found = locateRawEventsFile(run, record, { recordPath });
    assert.equal(found.path, resolveRawEventsFile(run, record, { recordPath }));
    const expected = statSync(found.path, { throwIfNoEntry: false });
    assert.equal(found.stat === undefined, expected === undefined, found.path);
    if (found.stat !== undefined && expected !== undefined) {
      assert.deepEqual([found.stat.ino, found.stat.size, found.stat.mtimeMs, found.stat.isFile(), found.stat.isFIFO()], [expected.ino, expected.size, expected.mtimeMs, expected.isFile(), expected.isFIFO()]);
    }
  };
  same({ delegation_id: 'd1' }); // missing
  writeFileSync(raw, '{"type":"x"}\n');
  same({ delegation_id: 'd1' }); // a regular file: its lstat is its stat
  // A symlink inside the run to a file inside the run: the target's stat.
  writeFileSync(join(run, 'raw-events', 'target.jsonl'), 'a longer file\n');
  symlinkSync('target.jsonl', join(run, 'raw-events', 'link.jsonl'));
  same({ delegation_id: 'x', worker_launch_evidence: { raw_events_file: 'raw-events/link.jsonl' } });
  // A dangling symlink: no file.
  symlinkSync('nowhere.jsonl', join(run, 'raw-events', 'dangling.jsonl'));
  same({ delegation_id: 'x', worker_launch_evidence: { raw_events_file: 'raw-events/dangling.jsonl' } });
  // A FIFO is reported as one (never opened).
  execFileSync('mkfifo', [join(run, 'raw-events', 'fifo.jsonl')]);
  same({ delegation_id: 'x', worker_launch_evidence: { raw_events_file: 'raw-events/fifo.jsonl' } });
  assert.equal(locateRawEventsFile(run, { delegation_id: 'x', worker_launch_evidence: { raw_events_file: 'raw-events/fifo.jsonl' } }).stat?.isFIFO(), true);
  // A symlink out of the run is refused as resolveRawEventsFile refuses it, with or without a pass.
  symlinkSync(join(outside, 'secret.jsonl'), join(run, 'raw-events', 'out.jsonl'));
  const out = { delegation_id: 'x', worker_launch_evidence: { raw_events_file: 'raw-events/out.jsonl' } };
  assert.equal(thrown(() => locateRawEventsFile(run, out, { recordPath })).code, 'PATH_OUTSIDE_RUN');
  assert.equal(thrown(() => locateRawEventsFile(run, out, { recordPath, folders: passFolderResolver() })).code, 'PATH_OUTSIDE_RUN');
  assert.equal(locateRawEventsFile(run, out, { allowOutside: true }).path, join(outside, 'secret.jsonl'));
  // A file where a folder should be: the stat's own error (ENOTDIR), as statSync would throw it.
  writeFileSync(join(root, 'run', 'plain'), '');
  assert.throws(() => locateRawEventsFile(run, { delegation_id: 'x', worker_launch_evidence: { raw_events_file: 'plain/x.jsonl' } }), /ENOTDIR/);
});

test('passFolderResolver: each folder looked up once for the pass; a later swap is seen by the next pass', (t) => {
  const { root, run, outside } = setup(t);
  const record = { delegation_id: 'd1' };
  const pass = passFolderResolver();
  assert.equal(locateRawEventsFile(run, record, { folders: pass }).path, join(run, 'raw-events', 'd1.jsonl'));
  // raw-events/ swapped for a symlink out of the run: this pass keeps what it saw at its start ...
  renameSync(join(run, 'raw-events'), join(root, 'old-raw-events'));
  symlinkSync(outside, join(run, 'raw-events'));
  assert.equal(locateRawEventsFile(run, record, { folders: pass }).path, join(run, 'raw-events', 'd1.jsonl'));
  // ... the next pass, and every look without a pass, sees the swap.
  assert.equal(thrown(() => locateRawEventsFile(run, record, { folders: passFolderResolver() })).code, 'PATH_OUTSIDE_RUN');
  assert.equal(thrown(() => locateRawEventsFile(run, record)).code, 'PATH_OUTSIDE_RUN');
});
