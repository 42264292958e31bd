/**
 * Reliability: 1,000+ malformed records, generated from a fixed seed (truncated JSON, wrong types,
 * huge numbers, deep nesting, binary, 0-byte, non-UTF-8, ids and paths with `../`, files outside
 * the run or devices named as raw events) plus special files (a directory and a FIFO named
 * `x.json`, symlinks out of the run and dangling, a 50 MB record), through status, snapshot,
 * reclaim, fan-in and a supervisor pass in-process, and a sample through the real CLI and a real
 * MCP client. Nothing throws, crashes or hangs; every file that is not a JSON object is reported
 * with its path and a reason; no reason quotes a file's content.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { collapseFanIn } from '../../src/ops/fan-in.js';
import { reclaimStuckWorkers } from '../../src/ops/reclaim.js';
import { getStatus } from '../../src/ops/status.js';
import { startSupervisor } from '../../src/supervisor/supervisor.js';
import type { JsonObject } from '../../src/util/json.js';
import { formatRfc3339 } from '../../src/util/time.js';
import { CLI, runCaptain } from '../helpers/cli.js';
import { runningDelegation } from '../helpers/records.js';
import { makeTempRun, type TempRun } from '../helpers/run-dir.js';

const SECRET = 'SECRET-CONTENT-7f3a';
const RUNS = 10;
const PER_RUN = 100;

/** mulberry32: a small seeded PRNG, so every run of the suite sees the same inputs. */
const prng = (seed: number): (() => number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

type Input = { name: string; bytes: Buffer; objectRoot: boolean };

const mutations = (random: () => number, id: string): Input => {
  const base = runningDelegation(id, { lifecycle: { last_progress_at: formatRfc3339(Date.now() - 600_000), secret_note: SECRET } });
  const text = JSON.stringify(base, null, 2);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const kind = Math.floor(random() * 10);
  const name = `${id}.json`;
  switch (kind) {
    case 0: // truncated
      return { name, bytes: Buffer.from(text.slice(0, Math.floor(random() * (text.length - 2)) + 1)), objectRoot: false };
    case 1: { // wrong types
      const odd = pick<unknown>([42, 'x', [], [1, 'a'], {}, null, true, -1, 1.5]);
      const lifecycle = { ...(base.worker_lifecycle as JsonObject), [pick(['state', 'last_progress_at', 'process_id', 'stale_after_ms', 'timeout_after_ms', 'process_identity', 'generation'])]: odd };
      const record = { ...base, [pick(['child_agent', 'worker_launch_evidence', 'task_card_id', 'delegation_id', 'worker_request'])]: odd, worker_lifecycle: random() < 0.5 ? lifecycle : odd };
      return { name, bytes: Buffer.from(JSON.stringify(record)), objectRoot: true };
    }
    case 2: { // huge numbers
      const huge = pick(['1e308', '18446744073709551616', '-9007199254740993', '1e-400', '123456789012345678901234567890']);
      return { name, bytes: Buffer.from(text.replace('"stale_after_ms": 45000', `"stale_after_ms": ${huge}`).replace('"process_id": null', `"process_id": ${huge}`)), objectRoot: true };
    }
    case 3: { // deep nesting
      const levels = 600 + Math.floor(random() * 5000);
      return { name, bytes: Buffer.from(`${text.slice(0, -1)},"deep":${'['.repeat(levels)}${']'.repeat(levels)}}`), objectRoot: false };
    }
    case 4: { // binary
      const bytes = Buffer.alloc(1 + Math.floor(random() * 4096));
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(random() * 256);
      bytes[0] = 0x7b;
      return { name, bytes, objectRoot: false };
    }
    case 5: // empty
      return { name, bytes: Buffer.alloc(0), objectRoot: false };
    case 6: { // non-UTF-8 inside a string
      const cut = text.indexOf('do the thing');
      return { name, bytes: Buffer.concat([Buffer.from(text.slice(0, cut)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(text.slice(cut))]), objectRoot: false };
    }
    case 7: { // ids and paths with ../
      const evil = pick(['../../etc/passwd', '../outside', 'a/../../b', '..', '/etc/shadow', '/dev/zero']);
      const record = { ...base, delegation_id: random() < 0.5 ? evil : id, task_card_id: random() < 0.3 ? evil : 'card-1', worker_launch_evidence: { raw_events_file: evil, stderr_file: evil, command: ['true'] } };
      return { name, bytes: Buffer.from(JSON.stringify(record)), objectRoot: true };
    }
    case 8: // a root that is not an object
      return { name, bytes: Buffer.from(pick(['[1,2,3]', '"text"', '42', 'null', 'true'])), objectRoot: false };
    default: // a valid record
      return { name, bytes: Buffer.from(text), objectRoot: true };
  }
};

describe('reliability: malformed inputs', () => {
  const runs: TempRun[] = [];
  const outside = mkdtempSync(join(tmpdir(), 'captain-outside-'));
  after(() => {
    for (const run of runs) run.remove();
    rmSync(outside, { recursive: true, force: true });
  });
  const tally = { inputs: 0, reported: 0, failures: 0 };
  after(() => process.stdout.write(`reliability: malformed inputs: ${tally.inputs} inputs, ${tally.reported} reported as errors, ${tally.failures} failures (crashes, hangs, unreported or leaking errors)\n`));

  it(`${RUNS * PER_RUN}+ generated inputs through status, snapshot, reclaim, fan-in and a supervisor pass`, { timeout: 240_000 }, async () => {
    const random = prng(20261202);
    writeFileSync(join(outside, 'secret.json'), JSON.stringify({ note: SECRET }));
    for (let r = 0; r < RUNS; r += 1) {
      const run = makeTempRun();
      runs.push(run);
      const expectReported = new Set<string>();
      for (let i = 0; i < PER_RUN; i += 1) {
        const input = mutations(random, `d-${r}-${i}`);
        writeFileSync(join(run.runDir, 'delegations', input.name), input.bytes);
        if (!input.objectRoot) expectReported.add(join(run.runDir, 'delegations', input.name));
      }
      // Special files, a few per run.
      const special = (name: string): string => {
        const path = join(run.runDir, 'delegations', name);
        expectReported.add(path);
        return path;
      };
      mkdirSync(special('folder.json'));
      execFileSync('mkfifo', [special('fifo.json')]);
      symlinkSync('/dev/zero', special('zero.json'));
      symlinkSync(join(outside, 'missing.json'), special('dangling.json'));
      symlinkSync(join(outside, 'secret.json'), join(run.runDir, 'delegations', 'linked-out.json'));
      if (r === 0) writeFileSync(special('huge.json'), Buffer.alloc(50 * 1024 * 1024, 0x20));
      tally.inputs += PER_RUN + (r === 0 ? 6 : 5);

      const ctx = run.context({ worker_kill_grace_ms: 50 });
      const status = getStatus(ctx);
      const snapshot = getStatus(ctx, { snapshot: true });
      for (const result of [status, snapshot]) {
        const reported = new Set(result.errors.map((e) => e.path));
        for (const path of expectReported) assert.ok(reported.has(path), `${path} is reported`);
        for (const e of result.errors) {
          assert.ok(e.reason.length > 0, `${e.path} has a reason`);
          assert.ok(!e.reason.includes(SECRET), `${e.path}: the reason does not quote content`);
        }
      }
      tally.reported += status.errors.length;
      await reclaimStuckWorkers(ctx);
      await collapseFanIn(ctx).catch((error: unknown) => {
        // A fan-in refused for a reason (active workers) is an answer; a crash is not.
        assert.ok(error instanceof Error && !/Maximum call stack|Cannot read prop/.test(error.message), String(error));
      });
      const supervisor = await startSupervisor(ctx, {});
      await new Promise((resolve) => setTimeout(resolve, 300));
      await supervisor.stop();
    }
  });

  it('a sample through the real CLI and a real MCP client answers in time', { timeout: 120_000 }, async () => {
    const run = runs[0]!;
    for (const args of [['status', '--json'], ['status', '--json', '--snapshot'], ['reclaim', '--json'], ['fan-in', '--json']]) {
      const result = runCaptain([...args, '--run-dir', run.runDir], { timeoutMs: 60_000 });
      assert.notEqual(result.code, null, `${args.join(' ')} did not hang`);
      assert.ok(result.code === 0 || result.code === 1, `${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /Maximum call stack|TypeError/);
    }
    const client = new Client({ name: 'reliability', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--run-dir', run.runDir], stderr: 'pipe' }));
    try {
      const result = (await client.callTool({ name: 'captain_status', arguments: { verbose: true } })) as { isError?: boolean; structuredContent?: { errors?: unknown[] } };
      assert.ok(!result.isError);
      assert.ok((result.structuredContent?.errors?.length ?? 0) > 0, 'the errors reach the MCP caller');
    } finally {
      await client.close();
    }
  });
});
