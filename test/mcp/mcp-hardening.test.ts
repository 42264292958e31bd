/**
 * The MCP server against what a broken or hostile client sends: lines that are not JSON, JSON that
 * is not JSON-RPC, a 10 MB line, stdin closing; and workspace escapes (a symlinked `.captain`, a
 * worker started without cwd, a path outside). Raw stdio for framing, the SDK client for the rest.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from '../helpers/cli.js';
import { waitFor } from '../helpers/worker-harness.js';

interface RawServer {
  child: ChildProcessWithoutNullStreams;
  replies: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

const startRaw = (workspace: string): RawServer => {
  const child = spawn(process.execPath, [CLI, 'mcp', '--workspace', workspace], { stdio: ['pipe', 'pipe', 'pipe'] });
  const replies: Array<Record<string, unknown>> = [];
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    pending += text;
    for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
      replies.push(JSON.parse(pending.slice(0, i)) as Record<string, unknown>);
      pending = pending.slice(i + 1);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, replies, exited };
};

const send = (server: RawServer, line: string | Buffer): void => {
  server.child.stdin.write(line);
};

describe('MCP framing over raw stdio', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'captain-mcp-raw-'));
  after(() => rmSync(workspace, { recursive: true, force: true }));

  it('answers bad lines with JSON-RPC errors, survives a 10 MB line, keeps serving, and exits when stdin closes', async () => {
    const server = startRaw(workspace);
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    send(server, `${JSON.stringify(init)}\n`);
    await waitFor(() => server.replies.some((r) => r.id === 1), 'the initialize reply', 15_000);
    send(server, '{"jsonrpc":"2.0","method":"notifications/initialized"}\n');

    send(server, 'this is not json\n');
    await waitFor(() => server.replies.some((r) => (r.error as { code?: number } | undefined)?.code === -32700), 'a parse error reply', 10_000);
    send(server, '{"id": 7, "hello": "world"}\n');
    await waitFor(() => server.replies.some((r) => r.id === 7 && (r.error as { code?: number } | undefined)?.code === -32600), 'an invalid-request reply with id 7', 10_000);

    // One 10 MB line, sent in pieces, then a valid request.
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
    for (let offset = 0; offset < big.length; offset += 1024 * 1024) send(server, big.subarray(offset, offset + 1024 * 1024));
    send(server, '\n');
    send(server, `${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`);
    await waitFor(() => server.replies.some((r) => r.id === 2), 'tools/list answered after the 10 MB line', 20_000);
    const tools = (server.replies.find((r) => r.id === 2)?.result as { tools: unknown[] }).tools;
    assert.ok(tools.length >= 10);
    assert.ok(server.replies.some((r) => r.id === null && /over \d+ bytes/.test(String((r.error as { message?: string } | undefined)?.message))), 'the long line was answered with an error');

    const closedAt = Date.now();
    server.child.stdin.end();
    const code = await Promise.race([server.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000))]);
    assert.notEqual(code, 'hung', 'the server exits when its stdin closes');
    assert.ok(Date.now() - closedAt < 10_000);
  });
});

describe('MCP workspace policy', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'captain-mcp-ws-'));
  const outside = mkdtempSync(join(tmpdir(), 'captain-mcp-out-'));
  let client: Client | undefined;
  after(async () => {
    await client?.close();
    rmSync(workspace, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  const connect = async (): Promise<Client> => {
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--workspace', workspace], stderr: 'pipe' });
    const c = new Client({ name: 'captain-test', version: '1.0.0' });
    await c.connect(transport);
    return c;
  };
  type Result = { isError?: boolean; content: Array<{ text?: string }>; structuredContent?: Record<string, unknown> };
  const call = async (name: string, args: Record<string, unknown>): Promise<Result> => (await client!.callTool({ name, arguments: args })) as Result;

  it('a worker started without cwd runs in the workspace; a cwd outside is refused in the workspace\'s words', async () => {
    client = await connect();
    const run = await call('captain_start_run', { title: 'ws' });
    assert.ok(!run.isError, run.content[0]?.text);
    const runDir = String(run.structuredContent?.run_dir);
    const started = await call('captain_delegate', { run_dir: runDir, kind: 'command', argv: ['pwd'] });
    assert.ok(!started.isError, started.content[0]?.text);
    const id = String(started.structuredContent?.delegation_id);
    const raw = join(runDir, 'raw-events', `${id}.jsonl`);
    await waitFor(() => {
      try {
        return readFileSync(raw, 'utf8').trim() !== '';
      } catch {
        return false;
      }
    }, 'pwd to print', 15_000);
    assert.equal(readFileSync(raw, 'utf8').trim(), realpathSync(workspace));

    const refused = await call('captain_delegate', { run_dir: runDir, kind: 'command', argv: ['pwd'], cwd: outside });
    assert.equal(refused.isError, true);
    const text = refused.content[0]?.text ?? '';
    assert.match(text, /outside the workspace/);
    assert.doesNotMatch(text, /--allow-outside-paths/);
    // Let the worker's monitor finish writing into the run before the next test removes it.
    await waitFor(() => {
      try {
        const record = JSON.parse(readFileSync(join(runDir, 'delegations', `${id}.json`), 'utf8')) as { child_agent?: { status?: string } };
        return record.child_agent?.status === 'completed' || record.child_agent?.status === 'failed';
      } catch {
        return false;
      }
    }, 'the pwd worker to end', 15_000);
  });

  it('a symlinked .captain that leads out of the workspace is refused; no run is created outside', async () => {
    // The server (and the supervisor it runs for the first test's run) is stopped before that run is removed.
    await client?.close();
    client = await connect();
    rmSync(join(workspace, '.captain'), { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    mkdirSync(join(outside, 'captain-data'));
    symlinkSync(join(outside, 'captain-data'), join(workspace, '.captain'));
    const run = await call('captain_start_run', { title: 'escape' });
    assert.equal(run.isError, true, 'refused');
    assert.match(run.content[0]?.text ?? '', /outside the workspace/);
    assert.deepEqual(readdirSync(join(outside, 'captain-data')), [], 'nothing was created outside');
  });
});
