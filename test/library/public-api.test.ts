/** The typed library API (`src/index.ts`, the package's main export) drives a status end to end. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DEFAULT_RUNTIME_CONFIG, getStatus, getStatusAsync, getStatusDocument, openRunContext, writeJsonDocument } from '../../src/index.js';
import { runningDelegation, T0 } from '../helpers/records.js';
import { makeTempRun } from '../helpers/run-dir.js';

describe('public library API', () => {
  const run = makeTempRun();
  after(() => run.remove());

  it('getStatus, getStatusAsync and getStatusDocument + writeJsonDocument give the same status', async () => {
    run.writeDelegation(runningDelegation('a'));
    run.writeDelegation(runningDelegation('b', { child: { status: 'completed' } }));
    const ctx = openRunContext(run.runDir, DEFAULT_RUNTIME_CONFIG, { now: () => T0 + 30_000 });
    const expected = JSON.stringify(getStatus(ctx, { refresh: 'none' }));
    assert.equal(JSON.stringify(await getStatusAsync(ctx, { refresh: 'none' })), expected);
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await writeJsonDocument(await getStatusDocument(ctx, { refresh: 'none' }), sink);
    assert.equal(Buffer.concat(chunks).toString('utf8'), `${expected}\n`);
    const status = JSON.parse(expected) as { worker_visibility: { total_worker_count: number } };
    assert.equal(status.worker_visibility.total_worker_count, 2);
  });
});
