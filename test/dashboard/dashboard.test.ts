/**
 * `captain dashboard` as a real process, driven by real Chromium (Debian's, through playwright-core):
 * the access rules, a worker turning `returned` on the page within 1 s of its exit without a reload,
 * the page reconnecting after the server restarts with no transition missed or repeated, and the
 * cancel button. Also the JSON API with fetch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULT_RUNTIME_CONFIG } from '../../src/config/defaults.js';
import { openRunContext, type RunContext } from '../../src/ops/context.js';
import { delegate } from '../../src/ops/delegate.js';
import { addTaskCard, createRun } from '../../src/ops/runs.js';
import { readRunEvents } from '../../src/store/events-log.js';
import { startSupervisor, type Supervisor } from '../../src/supervisor/supervisor.js';
import { findDelegation } from '../../src/ops/worker.js';
import { childStatusOf } from '../../src/lifecycle/derive.js';
import { CLI } from '../helpers/cli.js';
import { waitFor } from '../helpers/worker-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';

const startServer = (workspace: string, port = 0): Promise<{ child: ChildProcess; url: string; port: number }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'dashboard', '--workspace', workspace, '--port', String(port), '--worker-stuck-after-ms', '60000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CAPTAIN_DASHBOARD_TOKEN: TOKEN },
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve({ child, url: line, port: Number(new URL(line).port) });
    });
    child.once('exit', (code) => reject(new Error(`dashboard exited ${code}: ${err}`)));
  });

const stopServer = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
};

const raw = (port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });

describe('captain dashboard', { timeout: 120_000 }, () => {
  let workspace: string;
  let ctx: RunContext;
  let runId: string;
  let supervisor: Supervisor;
  let server: { child: ChildProcess; url: string; port: number };
  let browser: Browser;
  let page: Page;

  before(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'captain-dash-'));
    const run = createRun({ runDir: join(workspace, '.captain', 'runs', 'run-dash'), title: 'dashboard test' });
    runId = run.run_id;
    ctx = openRunContext(run.run_dir, { ...DEFAULT_RUNTIME_CONFIG, worker_stuck_after_ms: 60_000 });
    supervisor = await startSupervisor(ctx);
    server = await startServer(workspace);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await stopServer(server.child);
    await supervisor?.stop();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('prints its URL first, on 127.0.0.1 with a token; refuses requests without the token (401), a foreign Host, and state changes without the header or from another origin (403)', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const host = { host: `127.0.0.1:${server.port}` };
    assert.equal((await raw(server.port, '/api/runs', { headers: host })).status, 401);
    assert.equal((await raw(server.port, '/', { headers: host })).status, 401);
    assert.equal((await raw(server.port, '/api/runs', { headers: { ...host, authorization: 'Bearer wrong' } })).status, 401);
    const ok = await raw(server.port, '/api/runs', { headers: { ...host, authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    const listed = JSON.parse(ok.body) as { runs: Array<{ run_id: string; worktree_disk: unknown }> };
    assert.deepEqual(listed.runs.map((r) => r.run_id), [runId]);
    assert.deepEqual(listed.runs[0]!.worktree_disk, { worktrees: 0, bytes: 0 }, 'the runs page measures worktree disk use');
    assert.equal((await raw(server.port, '/api/runs', { headers: { host: `evil.example:${server.port}`, authorization: `Bearer ${TOKEN}` } })).status, 403, 'DNS rebinding: a foreign Host');
    const cancelPath = `/api/runs/${runId}/workers/nobody/cancel`;
    const cookie = { ...host, cookie: `captain_dashboard=${TOKEN}` };
    assert.equal((await raw(server.port, cancelPath, { method: 'POST', headers: cookie })).status, 403, 'a cookie alone does not change anything');
    assert.equal((await raw(server.port, cancelPath, { method: 'POST', headers: { ...cookie, 'x-captain-token': TOKEN, origin: 'http://evil.example' } })).status, 403);
    assert.equal((await raw(server.port, cancelPath, { method: 'POST', headers: { ...cookie, 'x-captain-token': TOKEN } })).status, 404, 'allowed through, then: an unknown delegation');
    assert.equal((await raw(server.port, '/api/runs/..%2F..%2Fetc/workers', { headers: { ...host, authorization: `Bearer ${TOKEN}` } })).status, 404, 'no path from the URL reaches the disk');
    // The token in the URL becomes an HttpOnly SameSite=Strict cookie and leaves the URL.
    const first = await raw(server.port, `/?token=${TOKEN}`, { headers: host });
    assert.equal(first.status, 302);
    assert.equal(first.headers.location, '/');
    assert.match(String(first.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  });

  it('shows a worker turning returned within 1 s of its exit, without a reload', async () => {
    await page.goto(server.url);
    await page.goto(`${server.url.split('?')[0]}#/run/${runId}`);
    const worker = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', 'console.log("hi"); setTimeout(() => {}, 2500)'], cwd: ctx.runDir, title: 'short job' });
    const row = `tr[data-delegation="${worker.delegation_id}"] [data-state]`;
    await page.waitForSelector(`${row}[data-state^="running"]`, { timeout: 15_000 });
    await page.waitForSelector(`${row}[data-state="returned"]`, { timeout: 15_000 });
    const seenAt = Date.now();
    const exitFile = readdirSync(join(ctx.runDir, 'raw-events')).find((f) => f.startsWith(worker.delegation_id) && f.endsWith('.exit.json'));
    assert.ok(exitFile !== undefined, 'the wrapper recorded the exit');
    const exitedAt = statSync(join(ctx.runDir, 'raw-events', exitFile)).mtimeMs;
    assert.ok(seenAt - exitedAt < 1_000, `shown ${Math.round(seenAt - exitedAt)} ms after the exit`);
    if (process.env['CAPTAIN_DASHBOARD_SCREENSHOT'] !== undefined) await page.screenshot({ path: process.env['CAPTAIN_DASHBOARD_SCREENSHOT'], fullPage: true });
  });

  it('reconnects after the server restarts and shows the transitions logged meanwhile, each once', async () => {
    const port = server.port;
    await stopServer(server.child);
    await page.waitForSelector('#conn.down', { timeout: 10_000 });
    const worker = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', 'setTimeout(() => {}, 200)'], cwd: ctx.runDir, title: 'while down' });
    await waitFor(() => childStatusOf(findDelegation(ctx, worker.delegation_id).record) === 'completed', 'the worker ended while the dashboard was down', 15_000);
    await waitFor(() => readRunEvents(ctx.runDir, 0, { limit: 10_000 }).events.some((e) => e.delegation_id === worker.delegation_id && e.to === 'returned'), 'its transition logged', 15_000);
    server = await startServer(workspace, port);
    await page.waitForSelector(`tr[data-delegation="${worker.delegation_id}"] [data-state="returned"]`, { timeout: 15_000 });
    await page.waitForSelector('#conn:not(.down)', { timeout: 10_000 });
    const logged = readRunEvents(ctx.runDir, 0, { limit: 10_000 }).events.map((e) => e.cursor);
    const deadline = Date.now() + 10_000;
    while ((await page.$$('#log .entry')).length < logged.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const shown = await page.$$eval('#log .entry', (els) => els.map((el) => Number(el.getAttribute('data-cursor'))));
    assert.deepEqual([...shown].sort((a, b) => a - b), logged, 'every logged event shown exactly once, none missed, none repeated');
  });

  it('the cancel button cancels a hanging worker (after a confirmation)', async () => {
    const worker = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], cwd: ctx.runDir, title: 'hangs' });
    const row = `tr[data-delegation="${worker.delegation_id}"]`;
    await page.waitForSelector(`${row} [data-state^="running"]`, { timeout: 15_000 });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`${row} button[data-act="cancel"]`);
    await page.waitForSelector(`${row} [data-state="cancelled"]`, { timeout: 15_000 });
    assert.equal(childStatusOf(findDelegation(ctx, worker.delegation_id).record), 'cancelled');
  });

  it('shows a task card\'s declared lanes and each worker\'s lane', async () => {
    const card = await addTaskCard(ctx.runDir, { title: 'laned', parallelLanes: ['lane-a', 'lane-b'] });
    const worker = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', 'setTimeout(() => {}, 100)'], cwd: ctx.runDir, taskCardId: card.task_card_id, lane: 'lane-a', title: 'in lane a' });
    await page.goto(`${server.url.split('?')[0]}#/run/${runId}`);
    await page.waitForSelector(`tr[data-delegation="${worker.delegation_id}"]:has-text("lane-a")`, { timeout: 15_000 });
    assert.match((await page.textContent('main')) ?? '', /lanes: lane-a, lane-b/);
  });

  it('a worker page shows its result, retry chain and live log', async () => {
    const worker = await delegate(ctx, { kind: 'command', argv: [process.execPath, '-e', 'console.log(JSON.stringify({type:"note",text:"line one"})); setTimeout(() => console.log("line two"), 300)'], cwd: ctx.runDir, title: 'logs' });
    await waitFor(() => childStatusOf(findDelegation(ctx, worker.delegation_id).record) === 'completed', 'the worker ended', 15_000);
    await page.goto(`${server.url.split('?')[0]}#/run/${runId}/worker/${worker.delegation_id}`);
    await page.waitForSelector('#worker-log:has-text("line two")', { timeout: 10_000 });
    assert.match((await page.textContent('main')) ?? '', /retry chain/);
    assert.match((await page.textContent('#worker-state')) ?? '', /^(returned|completed)$/);
    assert.ok(existsSync(ctx.runDir));
  });
});
