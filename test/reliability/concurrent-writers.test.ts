/**
 * Reliability: every writer at once on one run — a supervisor, two `status` loops, a `reclaim` loop,
 * a `fan-in` loop, `delegate` calls, and two third-party writers adding keys captain does not know
 * through captain's lock protocol — while a reader polls every record file. No update is lost (every
 * third-party key is there at the end), unknown keys survive captain's rewrites, and the reader
 * never sees a partial JSON file.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { delegate } from '../../src/ops/delegate.js';
import type { JsonObject } from '../../src/util/json.js';
import { CLI } from '../helpers/cli.js';
import { sleep } from '../helpers/worker-harness.js';
import { exitOf, fixture, newRun, records, removeRuns, spawnSupervise } from '../supervisor/harness.js';

const WRITER = fileURLToPath(new URL('../fixtures/store/third-party-writer.ts', import.meta.url));
const UPDATES = 150;

const loop = (args: string[], stopAt: number): ChildProcess =>
  spawn('sh', ['-c', `while [ $(date +%s%3N) -lt ${stopAt} ]; do "$0" "$@" >/dev/null 2>&1; done`, process.execPath, CLI, ...args], { stdio: 'ignore', detached: true });

describe('reliability: concurrent writers', () => {
  after(removeRuns);

  it('no lost update, unknown keys kept, no partial JSON seen', { timeout: 120_000 }, async () => {
    const ctx = newRun('concurrent writers');
    for (let i = 0; i < 6; i += 1) await fixture(ctx, 'emit-jsonl.mjs', ['20', '100']);
    for (let i = 0; i < 2; i += 1) await fixture(ctx, 'crash.mjs');
    const stopAt = Date.now() + 8_000;
    const children: ChildProcess[] = [
      spawnSupervise(ctx),
      loop(['status', '--json', '--run-dir', ctx.runDir], stopAt),
      loop(['status', '--run-dir', ctx.runDir], stopAt),
      loop(['reclaim', '--json', '--run-dir', ctx.runDir], stopAt),
      loop(['fan-in', '--json', '--run-dir', ctx.runDir], stopAt),
    ];
    const writers = ['a', 'b'].map((name) => spawn(process.execPath, ['--import', 'tsx', WRITER, ctx.runDir, name, String(UPDATES)], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let writerOutput = '';
    for (const w of writers) {
      w.stdout!.on('data', (c: Buffer) => (writerOutput += c.toString()));
      w.stderr!.on('data', (c: Buffer) => (writerOutput += c.toString()));
    }
    let reads = 0;
    let partial = 0;
    const delegations = join(ctx.runDir, 'delegations');
    let delegated = 0;
    while (Date.now() < stopAt) {
      for (const file of readdirSync(delegations).filter((f) => f.endsWith('.json'))) {
        try {
          JSON.parse(readFileSync(join(delegations, file), 'utf8'));
          reads += 1;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'EISDIR') partial += 1;
        }
      }
      if (delegated < 4 && Date.now() > stopAt - 6_000) {
        await delegate(ctx, { kind: 'command', argv: ['sh', '-c', 'echo late worker'], cwd: ctx.runDir });
        delegated += 1;
      }
      await sleep(5);
    }
    for (const w of writers) assert.equal(await exitOf(w), 0, writerOutput);
    for (const c of children) {
      // The loops run in their own process groups: end the captain command they are inside too.
      try {
        process.kill(-c.pid!, 'SIGTERM');
      } catch {
        c.kill('SIGTERM');
      }
      await exitOf(c);
    }
    await sleep(300);
    assert.equal(partial, 0, `a polling reader saw partial JSON (${partial} of ${reads + partial} reads)`);
    const all = records(ctx);
    for (const writer of ['a', 'b']) {
      for (let n = 0; n < UPDATES; n += 1) {
        assert.ok(all.some((r) => (r[`third_party_${writer}_${n}`] as JsonObject | undefined)?.n === n), `third_party_${writer}_${n} survived`);
      }
    }
    assert.ok(all.every((r) => (r.upstream_only_key === undefined)), 'sanity');
    process.stdout.write(`reliability: concurrent writers: ${2 * UPDATES} third-party updates, ${reads} polled reads, 0 lost, ${partial} partial\n`);
  });
});
