/** The MCP SDK's own Client over stdio against a real `captain mcp` process. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { WORKER_KINDS } from '../../src/lifecycle/kinds.js';
import { CLI } from '../helpers/cli.js';
import { fixturePath } from '../helpers/worker-harness.js';

interface CallResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
}

describe('captain mcp over stdio', () => {
  let client: Client;
  let workspace: string;
  const call = async (name: string, args: Record<string, unknown>): Promise<CallResult> => (await client.callTool({ name, arguments: args })) as CallResult;
  const ok = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const result = await call(name, args);
    assert.ok(!result.isError, `${name}: ${result.content.map((c) => c.text).join('\n')}`);
    assert.ok(result.structuredContent, `${name} answers with structuredContent`);
    assert.ok(result.content[0]?.text, `${name} answers with a text rendering too`);
    return result.structuredContent;
  };

  before(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'captain-mcp-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--workspace', workspace, '--worker-stuck-after-ms', '1500', '--worker-kill-grace-ms', '200', '--worker-max-retries-per-phase', '0'],
      stderr: 'pipe',
    });
    client = new Client({ name: 'captain-test', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('lists every tool with input and output schemas', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, [
      'captain_add_task', 'captain_cancel', 'captain_delegate', 'captain_events', 'captain_fan_in', 'captain_follow_up',
      'captain_list_runs', 'captain_reclaim', 'captain_result', 'captain_start_run', 'captain_status', 'captain_wait',
    ]);
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has an output schema`);
    }
    const delegateTool = tools.find((t) => t.name === 'captain_delegate');
    const kind = (delegateTool?.inputSchema.properties as Record<string, { enum?: string[] }> | undefined)?.kind;
    assert.deepEqual(kind?.enum, [...WORKER_KINDS], 'the kind enum is the registry');
  });

  it('runs a task card end to end: start, delegate (idempotent), wait with a cursor, result, events, fan-in', async () => {
    const run = await ok('captain_start_run', { title: 'mcp e2e' });
    const runDir = String(run.run_dir);
    assert.ok(runDir.startsWith(join(workspace, '.captain', 'runs')));
    const args = { run_dir: runDir, kind: 'command', argv: [process.execPath, fixturePath('emit-jsonl.mjs'), '3', '100'], idempotency_key: 'job-1' };
    const [first, retried] = await Promise.all([ok('captain_delegate', args), ok('captain_delegate', args)]);
    assert.equal(retried.delegation_id, first.delegation_id, 'two concurrent calls with one key start one worker');
    const firstAgain = await ok('captain_delegate', args);
    assert.equal(first.delegation_id, firstAgain.delegation_id, 'a retried call returns the first delegation');
    assert.equal(firstAgain.reused, true);
    const other = await ok('captain_delegate', { run_dir: runDir, kind: 'command', argv: [process.execPath, fixturePath('crash.mjs')] });

    let cursor = 0;
    const seen: Array<Record<string, unknown>> = [];
    let fanIn: unknown = null;
    for (let i = 0; i < 20 && fanIn === null; i++) {
      const page = await ok('captain_wait', { run_dir: runDir, cursor, timeout_ms: 5_000 });
      const events = page.events as Array<Record<string, unknown>>;
      for (const e of events) assert.ok(Number(e.cursor) > cursor, 'events come after the cursor, never repeated');
      seen.push(...events);
      cursor = Number(page.next_cursor);
      fanIn = page.fan_in;
    }
    assert.ok(fanIn, 'fan-in was reported');
    const cursors = seen.map((e) => Number(e.cursor));
    assert.deepEqual(cursors, [...new Set(cursors)].sort((a, b) => a - b), 'no event seen twice, in order');
    assert.ok(seen.some((e) => e.delegation_id === first.delegation_id && e.to === 'returned'));
    assert.ok(seen.some((e) => e.delegation_id === other.delegation_id && e.to === 'failed'));

    const result = await ok('captain_result', { run_dir: runDir, delegation_id: first.delegation_id });
    assert.equal(result.status, 'completed');
    const followUp = await call('captain_follow_up', { run_dir: runDir, delegation_id: first.delegation_id, prompt: 'and now?' });
    assert.equal(followUp.isError, true, 'a command worker has no conversation to resume');
    assert.match(String(followUp.content[0]?.text), /command worker: it ran a program, not an agent conversation/);
    const events = await ok('captain_events', { run_dir: runDir, delegation_id: first.delegation_id, limit: 2 });
    assert.equal((events.events as unknown[]).length, 2);
    assert.equal(events.more, true);
    const rest = await ok('captain_events', { run_dir: runDir, delegation_id: first.delegation_id, cursor: events.next_cursor });
    assert.ok((rest.events as unknown[]).length > 0);

    const fan = await ok('captain_fan_in', { run_dir: runDir });
    assert.equal(fan.collapsed, true);
    assert.equal((fan.fan_in as Record<string, unknown>).collapsed_at, (fanIn as Record<string, unknown>).collapsed_at, 'the supervisor collapsed it; calling again returns the same collapse');

    const status = await ok('captain_status', { run_dir: runDir });
    assert.equal((status.counts as Record<string, number>).total, 2, 'one worker per idempotency key');
    const verbose = await ok('captain_status', { run_dir: runDir, verbose: true });
    assert.ok(verbose.worker_visibility, 'verbose gives the seed payloads');

    const idle = await ok('captain_wait', { run_dir: runDir, cursor, timeout_ms: 300 });
    assert.equal(idle.timed_out, true);
    assert.equal(idle.next_cursor, cursor, 'a timed-out wait keeps the cursor');
  });

  it('reclaim and cancel through tools', async () => {
    const run = await ok('captain_start_run', { title: 'control' });
    const runDir = String(run.run_dir);
    const hang = await ok('captain_delegate', { run_dir: runDir, kind: 'command', argv: [process.execPath, fixturePath('hang.mjs')] });
    const hang2 = await ok('captain_delegate', { run_dir: runDir, kind: 'command', argv: [process.execPath, fixturePath('hang.mjs')] });
    await new Promise((r) => setTimeout(r, 500));
    const cancel = await ok('captain_cancel', { run_dir: runDir, delegation_id: hang2.delegation_id });
    assert.equal(cancel.cancelled, true);
    const waited = await ok('captain_wait', { run_dir: runDir, until: 'fan_in', timeout_ms: 15_000 });
    assert.ok(waited.fan_in, 'the hung worker was reclaimed by the server-run supervisor, then fan-in');
    const result = await ok('captain_result', { run_dir: runDir, delegation_id: hang.delegation_id });
    assert.equal(result.status, 'failed');
    const dry = await ok('captain_reclaim', { run_dir: runDir, dry_run: true });
    assert.deepEqual(dry.reclaimed, []);
  });

  it('captain_add_task with parallel lanes: fan-in waits until every lane has a terminal worker', async () => {
    const run = await ok('captain_start_run', { title: 'lanes' });
    const runDir = String(run.run_dir);
    const card = await ok('captain_add_task', { run_dir: runDir, title: 'two lanes', parallel_lanes: ['a', 'b'] });
    const quick = [process.execPath, '-e', 'console.log("done")'];
    await ok('captain_delegate', { run_dir: runDir, kind: 'command', argv: quick, lane: 'a', task_card_id: card.task_card_id });
    const early = await ok('captain_wait', { run_dir: runDir, until: 'fan_in', task_card_id: card.task_card_id, timeout_ms: 1_500 });
    assert.equal(early.fan_in, null, 'lane b has no worker yet');
    const notReady = await ok('captain_fan_in', { run_dir: runDir, task_card_id: card.task_card_id });
    assert.equal(notReady.collapsed, false);
    assert.deepEqual(notReady.missing_lane_ids, ['b']);
    await ok('captain_delegate', { run_dir: runDir, kind: 'command', argv: quick, lane: 'b', task_card_id: card.task_card_id });
    const done = await ok('captain_wait', { run_dir: runDir, until: 'fan_in', task_card_id: card.task_card_id, cursor: early.next_cursor, timeout_ms: 15_000 });
    assert.ok(done.fan_in, 'fan-in once lane b is terminal too');
  });

  it('captain_start_run with a budget and max_parallel auto: written to run.json; a reached budget queues new delegations', async () => {
    const run = await ok('captain_start_run', { title: 'budget', max_tokens: 1000, budget_action: 'cancel', max_parallel: 'auto' });
    const runJson = JSON.parse(readFileSync(join(String(run.run_dir), 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([runJson.max_tokens, runJson.budget_action, runJson.max_parallel], [1000, 'cancel', 'auto']);
    const bad = await call('captain_start_run', { title: 'bad budget', max_tokens: -5 });
    assert.equal(bad.isError, true);
    writeFileSync(join(String(run.run_dir), 'run.json'), JSON.stringify({ ...runJson, max_tokens: 0.5 }));
    // A hand-edited limit under one token is no limit: the delegation launches.
    const d = await ok('captain_delegate', { run_dir: run.run_dir, kind: 'command', argv: [process.execPath, '-e', '1'] });
    assert.equal(d.state, 'launching');
  });

  it('bad inputs: wrong types, unknown ids (listing known ones), paths outside the workspace', async () => {
    const run = await ok('captain_start_run', { title: 'bad' });
    const wrongType = await call('captain_delegate', { run_dir: run.run_dir, kind: 'rocket' });
    assert.equal(wrongType.isError, true);
    const d = await ok('captain_delegate', { run_dir: run.run_dir, kind: 'command', argv: [process.execPath, '-e', '1'] });
    const unknown = await call('captain_result', { run_dir: run.run_dir, delegation_id: 'dlg-nope' });
    assert.equal(unknown.isError, true);
    assert.match(String(unknown.content[0]?.text), new RegExp(`known: .*${String(d.delegation_id)}`));
    const outside = await call('captain_status', { run_dir: '/etc' });
    assert.equal(outside.isError, true);
    assert.match(String(outside.content[0]?.text), /outside/);
    const cwd = await call('captain_delegate', { run_dir: run.run_dir, kind: 'command', argv: ['true'], cwd: '/tmp' });
    assert.equal(cwd.isError, true);
    const noRun = await call('captain_status', {});
    assert.equal(noRun.isError, true);
    assert.match(String(noRun.content[0]?.text), /captain_start_run/);
  });

  it('captain_list_runs: the workspace runs newest first, with outcome and counts; .captain/ is git-ignored', async () => {
    const listed = await ok('captain_list_runs', {});
    assert.equal(listed.workspace, workspace);
    const runs = listed.runs as Array<Record<string, unknown>>;
    assert.ok(runs.length >= 3, `every run made above: ${runs.length}`);
    assert.equal(runs[0]?.title, 'bad', 'newest first');
    const e2e = runs.find((r) => r.title === 'mcp e2e');
    assert.ok(e2e, 'the end-to-end run is listed');
    assert.equal(e2e.outcome, 'failed', 'its crashing worker failed');
    assert.equal(Object.values(e2e.counts as Record<string, number>).reduce((a, b) => a + b, 0), e2e.worker_count);
    const one = await ok('captain_list_runs', { limit: 1 });
    assert.equal((one.runs as unknown[]).length, 1);
    assert.equal(one.runs_omitted, runs.length - 1);
    const outside = await call('captain_list_runs', { workspace: '/etc' });
    assert.equal(outside.isError, true);
    assert.match(String(outside.content[0]?.text), /outside the workspace/);
    assert.equal(readFileSync(join(workspace, '.captain', '.gitignore'), 'utf8'), '*\n');
  });
});

describe('captain mcp --workspace with an existing .captain/', () => {
  it('adds the missing .gitignore at start, and keeps one that is there', () => {
    const ws = mkdtempSync(join(tmpdir(), 'captain-mcp-gi-'));
    const other = mkdtempSync(join(tmpdir(), 'captain-mcp-gi-'));
    try {
      mkdirSync(join(ws, '.captain', 'runs'), { recursive: true });
      mkdirSync(join(other, '.captain'), { recursive: true });
      writeFileSync(join(other, '.captain', '.gitignore'), 'mine\n');
      for (const dir of [ws, other]) {
        // stdin closes at once: the server starts, then stops.
        const result = spawnSync(process.execPath, [CLI, 'mcp', '--workspace', dir], { input: '', encoding: 'utf8', timeout: 20_000 });
        assert.equal(result.status, 0, result.stderr);
      }
      assert.equal(readFileSync(join(ws, '.captain', '.gitignore'), 'utf8'), '*\n');
      assert.equal(readFileSync(join(other, '.captain', '.gitignore'), 'utf8'), 'mine\n');
    } finally {
      rmSync(ws, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });
});
