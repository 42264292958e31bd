/** Bounded head/tail reads and what the parsers make of big, cut, or garbage raw events files. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCaptainError } from '../../src/errors.js';
import {
  findTerminalEventSync,
  rawTextLines,
  readHeadTailSync,
  snapshotFromRawEventsFileSync,
} from '../../src/events/index.js';
import { COMPLETED_AT, makeTempDir } from './helpers.js';

const THREAD = '{"type":"thread.started","thread_id":"t-big"}\n';
const MESSAGE = '{"type":"item.completed","item":{"id":"item_9","type":"agent_message","text":"all done"}}\n';
const COMPLETED = '{"type":"turn.completed","usage":{"input_tokens":99,"output_tokens":1}}\n';

describe('readHeadTailSync', () => {
  let dir = '';
  let cleanup = (): void => {};
  before(() => ({ dir, cleanup } = makeTempDir()));
  after(() => cleanup());

  it('returns a small file whole, once (no head/tail duplication)', () => {
    const file = path.join(dir, 'small.jsonl');
    fs.writeFileSync(file, 'a\nb\nc\n');
    const read = readHeadTailSync(file, 4, 4);
    assert.equal(read.whole, true);
    assert.equal(read.head, 'a\nb\nc\n');
    assert.equal(read.tail, '');
    assert.equal(read.size, 6);
    assert.equal(read.mtimeMs, fs.statSync(file).mtimeMs);
    assert.deepEqual(rawTextLines(read), ['a', 'b', 'c']);
  });

  it('drops the line cut at the tail start and the line cut at the head end', () => {
    const file = path.join(dir, 'cut.jsonl');
    fs.writeFileSync(file, 'line-one\nline-two\nmiddle-junk\nline-four\nlast\n'); // 45 bytes
    const read = readHeadTailSync(file, 12, 12);
    assert.equal(read.whole, false);
    assert.equal(read.head, 'line-one\nlin');
    assert.equal(read.tail, 'last\n'); // "ne-four\n" was cut
    assert.deepEqual(rawTextLines(read), ['line-one', 'last']);
  });

  it('keeps the first tail line when the tail starts exactly on a line boundary', () => {
    const file = path.join(dir, 'aligned.jsonl');
    fs.writeFileSync(file, 'aaaa\nbbbb\ncccc\ndddd\n'); // 20 bytes; the last 10 are "cccc\ndddd\n"
    const read = readHeadTailSync(file, 5, 10);
    assert.equal(read.head, 'aaaa\n');
    assert.equal(read.tail, 'cccc\ndddd\n');
    assert.deepEqual(rawTextLines(read), ['aaaa', 'cccc', 'dddd']);
  });

  it('a tail inside one giant line is empty; a truncated last line is kept as text', () => {
    const file = path.join(dir, 'giant.jsonl');
    fs.writeFileSync(file, `x\n${'y'.repeat(100)}`);
    assert.equal(readHeadTailSync(file, 1, 10).tail, '');
    fs.writeFileSync(file, `${'z'.repeat(50)}\n{"type":"turn.comp`);
    const read = readHeadTailSync(file, 4, 30);
    assert.equal(read.tail, '{"type":"turn.comp');
  });

  it('decodes invalid UTF-8 leniently', () => {
    const file = path.join(dir, 'latin1.jsonl');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('ok \xff\xfe bytes\n', 'latin1'), Buffer.from([0xe2, 0x82])]));
    const read = readHeadTailSync(file);
    assert.ok(read.head.includes('\ufffd'));
    assert.ok(read.head.startsWith('ok '));
  });

  it('names the file and the errno when it cannot be read', () => {
    const file = path.join(dir, 'nope.jsonl');
    assert.throws(
      () => readHeadTailSync(file),
      (error: unknown) => isCaptainError(error) && error.code === 'IO' && error.message.includes(file) && error.data?.code === 'ENOENT',
    );
    assert.equal(findTerminalEventSync(file, 'codex'), null);
    const snap = snapshotFromRawEventsFileSync(file, 'codex', null, COMPLETED_AT);
    assert.equal(snap.worker_result.raw_output_bytes, null);
    assert.equal(snap.latest_failure?.reason, 'unknown');
  });
});

describe('big and broken raw events files', () => {
  let dir = '';
  let cleanup = (): void => {};
  before(() => ({ dir, cleanup } = makeTempDir()));
  after(() => cleanup());

  it('finds a turn.completed far beyond the head window, with megabytes of junk in the middle', () => {
    const file = path.join(dir, 'junk-middle.jsonl');
    const junkLine = `{"type":"item.completed","item":{"id":"x","type":"reasoning","text":"${'j'.repeat(400)}"}}\n`;
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, THREAD);
    const block = Buffer.from(junkLine.repeat(2500)); // ~1 MB
    for (let i = 0; i < 4; i += 1) fs.writeSync(fd, block);
    fs.writeSync(fd, crypto.randomBytes(300_000)); // binary garbage, some of it in the tail window
    fs.writeSync(fd, `\n${MESSAGE}${COMPLETED}`);
    fs.closeSync(fd);
    assert.ok(fs.statSync(file).size > 4_000_000);

    const terminal = findTerminalEventSync(file, 'codex');
    assert.equal(terminal?.type, 'turn.completed');
    assert.deepEqual(terminal?.line.usage, { input_tokens: 99, output_tokens: 1 });
    const snap = snapshotFromRawEventsFileSync(file, 'codex', { code: 0, signal: null }, COMPLETED_AT);
    assert.equal(snap.status, 'completed');
    assert.equal(snap.worker_result.thread_id, 't-big'); // from the head
    assert.equal(snap.worker_result.final_message, 'all done'); // from the tail
    assert.equal(snap.worker_result.raw_output_bytes, fs.statSync(file).size);
  });

  it('reads a sparse 8 GB file in bounded time (cost independent of size)', () => {
    const file = path.join(dir, 'sparse.jsonl');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, THREAD);
    const tailText = `\n${MESSAGE}${COMPLETED}`;
    const size = 8 * 1024 ** 3;
    fs.ftruncateSync(fd, size - tailText.length);
    fs.writeSync(fd, tailText, size - tailText.length);
    fs.closeSync(fd);
    const started = performance.now();
    assert.equal(findTerminalEventSync(file, 'codex')?.type, 'turn.completed');
    const snap = snapshotFromRawEventsFileSync(file, 'codex', { code: 0, signal: null }, COMPLETED_AT);
    const elapsed = performance.now() - started;
    assert.equal(snap.status, 'completed');
    assert.equal(snap.worker_result.raw_output_bytes, size);
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  });

  it('a 50 MB file of random bytes returns quickly without throwing', () => {
    const file = path.join(dir, 'garbage.bin');
    fs.writeFileSync(file, crypto.randomBytes(50 * 1024 * 1024));
    for (const kind of ['codex', 'claude', 'command'] as const) {
      const started = performance.now();
      const terminal = findTerminalEventSync(file, kind);
      const compat = snapshotFromRawEventsFileSync(file, kind, null, COMPLETED_AT);
      const strict = snapshotFromRawEventsFileSync(file, kind, { code: 0, signal: null }, COMPLETED_AT);
      const elapsed = performance.now() - started;
      assert.equal(terminal, null);
      assert.equal(compat.status, 'failed');
      assert.equal(strict.status, kind === 'command' ? 'completed' : 'failed');
      assert.ok(elapsed < 2000, `${kind} took ${elapsed} ms`);
      assert.ok(compat.summary.length < 2000);
    }
    const codex = snapshotFromRawEventsFileSync(file, 'codex', null, COMPLETED_AT);
    assert.equal(codex.latest_failure?.reason, 'invalid_output');
    assert.equal(snapshotFromRawEventsFileSync(file, 'codex', { code: 0, signal: null }, COMPLETED_AT).latest_failure?.reason, 'no_terminal_event');
  });

  it('a truncated last line does not hide the events before it', () => {
    const file = path.join(dir, 'truncated.jsonl');
    fs.writeFileSync(file, `${THREAD}${MESSAGE}{"type":"turn.completed","usage":{"input_tok`);
    assert.equal(findTerminalEventSync(file, 'codex'), null);
    const compat = snapshotFromRawEventsFileSync(file, 'codex', null, COMPLETED_AT);
    assert.equal(compat.status, 'completed'); // upstream: a message without a terminal event
    assert.equal(compat.worker_result.final_message, 'all done');
    assert.equal(compat.worker_result.raw_output_preview, '{"type":"turn.completed","usage":{"input_tok');
    const strict = snapshotFromRawEventsFileSync(file, 'codex', { code: null, signal: 'SIGKILL' }, COMPLETED_AT);
    assert.equal(strict.latest_failure?.reason, 'killed_by_signal');
    fs.appendFileSync(file, 'ens":3}}\n');
    assert.equal(findTerminalEventSync(file, 'codex')?.type, 'turn.completed');
  });

  it('invalid UTF-8 inside and between events is tolerated', () => {
    const file = path.join(dir, 'bad-utf8.jsonl');
    fs.writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(THREAD),
        Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0x0a]), // invalid sequences on their own line
        Buffer.from('{"type":"item.completed","item":{"type":"agent_message","text":"caf'),
        Buffer.from([0xe9]), // latin-1 é inside a JSON string
        Buffer.from('"}}\n'),
        Buffer.from(COMPLETED),
      ]),
    );
    const snap = snapshotFromRawEventsFileSync(file, 'codex', { code: 0, signal: null }, COMPLETED_AT);
    assert.equal(snap.status, 'completed');
    assert.equal(snap.worker_result.final_message, 'caf\ufffd');
    assert.equal(snap.worker_result.raw_output_preview, '\ufffd(\ufffd\ufffd');
  });
});
