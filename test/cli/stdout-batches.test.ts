/**
 * `captain status --json` writes its output in 256 KiB batches and, on Linux, fills the same batch
 * again once stdout (a file, a pipe, a terminal: written synchronously) has taken it. Multi-MB
 * outputs through a slow pipe and into a file must come out whole and in order.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { runningDelegation } from '../helpers/records.js';

const temp = mkdtempSync(join(tmpdir(), 'captain-stdout-batches-'));
after(() => rmSync(temp, { recursive: true, force: true }));

const RECORDS = 1_500;

const makeRun = (): string => {
  const runDir = join(temp, 'run');
  mkdirSync(join(runDir, 'delegations'), { recursive: true });
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({ run_id: 'r', active_task_card_id: 'card-1' }));
  for (let i = 0; i < RECORDS; i += 1) {
    const id = `d${String(i).padStart(5, '0')}`;
    // Summaries of different lengths, so entries straddle batch ends everywhere.
    const record = runningDelegation(id, { child: { status: i % 3 === 0 ? 'failed' : 'completed' } }) as Record<string, unknown>;
    record['summary'] = `entry ${id} ${'é✓x'.repeat(i % 977)}`;
    writeFileSync(join(runDir, 'delegations', `${id}.json`), JSON.stringify(record));
  }
  return runDir;
};

const checkDocument = (text: string, label: string): void => {
  assert.ok(text.endsWith('}\n'), `${label}: ends with the document and a newline`);
  const document = JSON.parse(text) as { worker_visibility: { workers: Array<{ delegation_id: string; summary: string }> } };
  const workers = document.worker_visibility.workers;
  assert.equal(workers.length, RECORDS, label);
  workers.forEach((worker, i) => {
    const id = `d${String(i).padStart(5, '0')}`;
    assert.equal(worker.delegation_id, id, `${label}: entry ${i} in order`);
    assert.equal(worker.summary, `entry ${id} ${'é✓x'.repeat(i % 977)}`, `${label}: entry ${i} whole`);
  });
};

describe('status --json on stdout, batch after batch', () => {
  it('comes out whole through a pipe read slowly and into a file', async () => {
    const runDir = makeRun();
    const args = [CLI, 'status', '--run-dir', runDir, '--snapshot', '--json'];
    // A pipe nobody reads for a while: the writer blocks on a full pipe, batch after batch.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 1);
    });
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    assert.equal(code, 0);
    const piped = Buffer.concat(chunks);
    assert.ok(piped.length > 4 * 256 * 1024, `${piped.length} bytes: several batches`);
    checkDocument(piped.toString('utf8'), 'pipe');

    const file = join(temp, 'out.json');
    const fd = openSync(file, 'w');
    const toFile = spawn(process.execPath, args, { stdio: ['ignore', fd, 'pipe'] });
    const fileCode = await new Promise<number | null>((resolve) => toFile.once('close', (c) => resolve(c)));
    closeSync(fd);
    assert.equal(fileCode, 0);
    checkDocument(readFileSync(file, 'utf8'), 'file');
  });
});
