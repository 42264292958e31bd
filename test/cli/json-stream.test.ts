import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { jsonPieces, writeJsonStream } from '../../src/cli/json-stream.js';

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
});
