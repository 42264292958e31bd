/**
 * Reliability: `captain status --json` processes printing entries from the record cache while other
 * statuses rewrite that cache (each save renames a new file over it) and a third party keeps
 * rewriting records. A status fills a cached view's entry in only when it prints it, reading the
 * cache file again (ViewEntryFiller): every output must still be whole and the same as a full read
 * (ages aside), and no status may fail.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORD_CACHE_RACY_MARGIN_MS } from '../../src/config/defaults.js';
import { recordCacheFile } from '../../src/store/record-cache.js';
import { CLI } from '../helpers/cli.js';
import { at, runningDelegation } from '../helpers/records.js';

const temp = mkdtempSync(join(tmpdir(), 'captain-status-cache-race-'));
after(() => rmSync(temp, { recursive: true, force: true }));

const RECORDS = 400;
const STATUSES = ['completed', 'failed', 'cancelled', 'queued', 'running'];

const recordPath = (runDir: string, i: number): string => join(runDir, 'delegations', `d${String(i).padStart(4, '0')}.json`);

/** A record whose worker entry does not depend on `prompt` (the third party's edit changes the file, not the entry). */
const recordText = (i: number, prompt: string): string => {
  const status = STATUSES[i % STATUSES.length] as string;
  const record = runningDelegation(`d${String(i).padStart(4, '0')}`, {
    top: { summary: `worker ${i}: «données» ✓`, worker_result: i % 3 === 0 ? { total_token_usage: { input_tokens: i, output_tokens: 2 * i } } : null, worker_request: { prompt, sandbox_mode: 'read-only' } },
    child: { status },
    lifecycle: { last_progress_at: at(-(i % 13) * 10_000), state: status === 'queued' ? 'queued' : 'running_active' },
  });
  return `${JSON.stringify(record, null, 2)}\n`;
};

/** The output with every run of digits as one `0`: ages move between two statuses, nothing else may. */
const normalized = (text: string): string => text.replace(/\d+/g, '0');

const status = (runDir: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'status', '--run-dir', runDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    // Bytes first, decoded once: a chunk boundary may fall inside a character.
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
  });

describe('reliability: statuses print from the record cache while it is rewritten', () => {
  it('every status exits 0 with the output of a full read (ages aside), through cache rewrites and record edits', { timeout: 120_000 }, async (t) => {
    const runDir = join(temp, 'run');
    mkdirSync(join(runDir, 'delegations'), { recursive: true });
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ run_id: 'race', active_task_card_id: 'card-1' }));
    for (let i = 0; i < RECORDS; i += 1) writeFileSync(recordPath(runDir, i), recordText(i, 'do the thing'));
    // Past the racy margin, the records can be cached; the first status writes the cache, the second uses its views.
    await new Promise((resolve) => setTimeout(resolve, RECORD_CACHE_RACY_MARGIN_MS + 300));
    const expected = await status(runDir, { CAPTAIN_NO_RECORD_CACHE: '1' });
    assert.equal(expected.code, 0, expected.stderr);
    const want = normalized(expected.stdout);
    for (let i = 0; i < 2; i += 1) {
      const warm = await status(runDir);
      assert.equal(warm.code, 0, warm.stderr);
      assert.equal(normalized(warm.stdout), want);
    }
    assert.ok(existsSync(recordCacheFile(runDir)), 'the cache file is there');

    const stopAt = Date.now() + 6_000;
    const outputs: { code: number | null; stdout: string; stderr: string }[] = [];
    /** The cache file's inodes seen: a save renames a new file over it. */
    const cacheFiles = new Set<number>();
    // A third party rewrites 10 % of the records every 250 ms (not in any entry): statuses read them, and save a new cache (over 5 % changed).
    const edit = (async () => {
      let round = 0;
      while (Date.now() < stopAt) {
        round += 1;
        // Atomically, as a well-behaved writer does (a torn record would be reported in errors and left out, rightly).
        for (let i = round % 10; i < RECORDS; i += 10) {
          writeFileSync(`${recordPath(runDir, i)}.tmp`, recordText(i, `edit ${round}`));
          renameSync(`${recordPath(runDir, i)}.tmp`, recordPath(runDir, i));
        }
        cacheFiles.add(statSync(recordCacheFile(runDir)).ino);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const loops = [0, 1, 2].map(async () => {
      while (Date.now() < stopAt) outputs.push(await status(runDir));
    });
    await Promise.all([edit, ...loops]);
    // Once the edits are old enough, a last status caches them again.
    await new Promise((resolve) => setTimeout(resolve, RECORD_CACHE_RACY_MARGIN_MS + 300));
    outputs.push(await status(runDir), await status(runDir));

    assert.ok(outputs.length >= 9, `${outputs.length} statuses ran`);
    for (const [n, out] of outputs.entries()) {
      assert.equal(out.code, 0, `status ${n}: ${out.stderr}`);
      assert.equal(normalized(out.stdout), want, `status ${n} printed what a full read prints`);
    }
    assert.ok(cacheFiles.size > 1, `the cache file was replaced while statuses printed from it (${cacheFiles.size} files seen)`);
    t.diagnostic(`${outputs.length} statuses, all whole and right; ${cacheFiles.size} cache files seen in turn`);
  });
});
