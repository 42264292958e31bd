import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { documentPieces, jsonPieces, materializeDocument, writeJsonDocument, writeJsonStream } from '../../src/cli/json-stream.js';
import { JsonText, type JsonFiller } from '../../src/util/json-text.js';

const sample = (n: number): unknown => ({
  run_dir: '/tmp/x "quoted" \u2028',
  skipped: undefined,
  task_card_id: null,
  worker_visibility: {
    total: n,
    workers: Array.from({ length: n }, (_, i) => ({ id: `w${i}`, nested: { list: [1, 'two', null, undefined], at: new Date(0) }, gone: undefined })),
    active_workers: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? undefined : i)),
  },
  errors: [],
  when: new Date(86_400_000),
});

describe('streamed JSON output', () => {
  it('is byte for byte JSON.stringify, for small and large arrays', () => {
    for (const n of [0, 1, 64, 65, 1_000]) {
      const value = sample(n);
      assert.equal([...jsonPieces(value)].join(''), JSON.stringify(value), `n = ${n}`);
    }
    for (const odd of [null, 1, 'x', [], {}, [undefined], { a: undefined }]) assert.equal([...jsonPieces(odd)].join(''), JSON.stringify(odd));
  });

  it('writes batches honouring back-pressure and ends with a newline', async () => {
    const value = sample(20_000);
    const sink = new PassThrough({ highWaterMark: 16 * 1024 });
    const chunks: string[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    await writeJsonStream(value, sink);
    sink.end();
    await new Promise((r) => sink.on('end', r));
    assert.ok(chunks.length > 5, `written in ${chunks.length} chunks`);
    assert.equal(chunks.join(''), `${JSON.stringify(value)}\n`);
  });

  it('a document writes each JsonText as its text, at any depth, and the rest as JSON.stringify does', async () => {
    const plain = sample(70) as Record<string, unknown>;
    const entry = (i: number): unknown => ({ id: `w${i}`, summary: 'a "quoted" \u2028 line', n: i, list: [null, true] });
    const document = {
      ...plain,
      worker_visibility: { total: 3, workers: [0, 1, 2].map((i) => new JsonText(JSON.stringify(entry(i)))), gone: undefined },
      task_cards: [{ task_card_id: 'c', worker_visibility: { workers: [new JsonText(JSON.stringify(entry(9)))], targets: [] } }],
      holes: [undefined, new JsonText('7')],
    };
    const expected = JSON.stringify({
      ...plain,
      worker_visibility: { total: 3, workers: [0, 1, 2].map(entry), gone: undefined },
      task_cards: [{ task_card_id: 'c', worker_visibility: { workers: [entry(9)], targets: [] } }],
      holes: [undefined, 7],
    });
    assert.equal([...documentPieces(document)].join(''), expected);
    assert.equal(JSON.stringify(materializeDocument(document)), expected);
    const sink = new PassThrough();
    const chunks: string[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    await writeJsonDocument(document, sink);
    sink.end();
    await new Promise((r) => sink.on('end', r));
    assert.equal(chunks.join(''), `${expected}\n`);
  });

  it('a JsonText made of UTF-8 bytes is written as those bytes, whether it fits the batch or is larger than one', async () => {
    const entry = (i: number, size: number): unknown => ({ id: `w${i}`, text: 'é完✓'.repeat(size) });
    const sizes = [1, 40_000, 3, 200_000, 2];
    const document = { workers: sizes.map((size, i) => new JsonText(Buffer.from(JSON.stringify(entry(i, size)), 'utf8'))), tail: 'fin ✓' };
    const expected = JSON.stringify({ workers: sizes.map((size, i) => entry(i, size)), tail: 'fin ✓' });
    assert.equal(JSON.stringify(materializeDocument(document)), expected);
    assert.equal(document.workers[0]?.text, JSON.stringify(entry(0, 1)));
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await writeJsonDocument(document, sink);
    sink.end();
    await new Promise((r) => sink.on('end', r));
    assert.equal(Buffer.concat(chunks).toString('utf8'), `${expected}\n`);
    assert.ok(chunks.length >= 3, `written in ${chunks.length} chunks`);
  });

  it('a JsonText made by a filler is filled straight into the batch (or on its own when larger than one), and its text is the same bytes', async () => {
    const entry = (i: number, size: number): unknown => ({ id: `w${i}`, text: 'é完✓'.repeat(size) });
    const sizes = [1, 40_000, 3, 200_000, 2, 30_000, 30_000, 30_000];
    let fills = 0;
    /** A filler over a text's bytes: writes only into the buffer it is given, at the offset it is given. */
    const filler = (bytes: Buffer): JsonFiller => ({
      byteLength: bytes.length,
      fill: (out, at) => {
        fills += 1;
        assert.ok(out.length - at >= bytes.length, 'the writer leaves room for byteLength');
        out.set(bytes, at);
        return bytes.length;
      },
    });
    const make = () => ({ workers: sizes.map((size, i) => new JsonText(filler(Buffer.from(JSON.stringify(entry(i, size)), 'utf8')))), tail: 'fin ✓' });
    const expected = JSON.stringify({ workers: sizes.map((size, i) => entry(i, size)), tail: 'fin ✓' });
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await writeJsonDocument(make(), sink);
    sink.end();
    await new Promise((r) => sink.on('end', r));
    assert.equal(Buffer.concat(chunks).toString('utf8'), `${expected}\n`);
    assert.equal(fills, sizes.length, 'each filler filled once');
    assert.equal([...documentPieces(make())].join(''), expected);
    assert.equal(JSON.stringify(materializeDocument(make())), expected);
    assert.equal(make().workers[2]?.text, JSON.stringify(entry(2, 3)));
    // toString: the same text, made again each time and not kept (the writer still fills the bytes in).
    const kept = make().workers[1] as JsonText;
    const before = fills;
    assert.equal(kept.toString(), JSON.stringify(entry(1, 40_000)));
    assert.equal(kept.toString(), JSON.stringify(entry(1, 40_000)));
    assert.ok(kept.filler !== undefined, 'still written from its filler');
    assert.equal(fills, before + 2);
    // A filler that announces one length and writes another is a bug, named as such.
    const liar = new JsonText({ byteLength: 5, fill: () => 4 });
    assert.throws(() => liar.text, /wrote 4 bytes, not the 5/);
    // A filler whose source is gone fails the write (no partial entry passed off as whole).
    const gone = { workers: [new JsonText('1'), new JsonText({ byteLength: 3, fill: () => { throw new Error('source gone'); } })] };
    await assert.rejects(writeJsonDocument(gone, new PassThrough()), /source gone/);
  });

  it('a document with thousands of entries in nested arrays fills batch after batch, honouring back-pressure', async () => {
    const entry = (i: number): unknown => ({ id: `w${i}`, text: 'x'.repeat(i % 300), nested: [i, [i, null]] });
    const n = 20_000;
    const document = {
      counts: { total: n },
      workers: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? entry(i) : new JsonText(i % 2 === 0 ? JSON.stringify(entry(i)) : Buffer.from(JSON.stringify(entry(i)))))),
      groups: [[new JsonText('1'), undefined, { a: [new JsonText('[2]')] }], []],
    };
    const expected = JSON.stringify({ counts: { total: n }, workers: Array.from({ length: n }, (_, i) => entry(i)), groups: [[1, null, { a: [[2]] }], []] });
    const sink = new PassThrough({ highWaterMark: 16 * 1024 });
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await writeJsonDocument(document, sink);
    sink.end();
    await new Promise((r) => sink.on('end', r));
    assert.ok(chunks.length > 10, `written in ${chunks.length} chunks`);
    assert.equal(Buffer.concat(chunks).toString('utf8'), `${expected}\n`);
  });

  it('on stdout through a pipe to a slow reader, each batch is filled again once drained and every byte arrives as written', async () => {
    // A reused batch written over before the pipe took it would show as wrong bytes here.
    const streamModule = fileURLToPath(new URL('../../src/util/json-stream.ts', import.meta.url));
    const textModule = fileURLToPath(new URL('../../src/util/json-text.ts', import.meta.url));
    const script = `
      import { writeJsonDocument } from ${JSON.stringify(streamModule)};
      import { JsonText } from ${JSON.stringify(textModule)};
      const entry = (i) => JSON.stringify({ id: 'w' + i, text: String(i % 10).repeat(300 + (i % 700)) });
      const workers = Array.from({ length: 12000 }, (_, i) => new JsonText(i % 2 === 0 ? entry(i) : Buffer.from(entry(i))));
      const before = process.memoryUsage().arrayBuffers;
      await writeJsonDocument({ n: 12000, workers }, process.stdout);
      process.stderr.write(JSON.stringify({ grew: process.memoryUsage().arrayBuffers - before }));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    // Slow: a pause after every chunk, so the pipe fills and the writer has to wait for it to drain.
    child.stdout.on('data', (c: Buffer) => {
      chunks.push(c);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), chunks.length % 8 === 0 ? 2 : 0);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    const entry = (i: number): string => JSON.stringify({ id: `w${i}`, text: String(i % 10).repeat(300 + (i % 700)) });
    const expected = `{"n":12000,"workers":[${Array.from({ length: 12000 }, (_, i) => entry(i)).join(',')}]}\n`;
    const got = Buffer.concat(chunks).toString('utf8');
    assert.ok(got.length > 8_000_000, `${got.length} bytes`);
    assert.equal(got, expected);
    // The batches were filled again, not one new 256 KiB buffer per batch (the document is ~8 MB: ~30 batches).
    const { grew } = JSON.parse(stderr) as { grew: number };
    assert.ok(grew < 4 * 1024 * 1024, `array buffers grew by ${grew} bytes while writing`);
  });
});
