/**
 * End to end with the real Codex CLI as the captain: `codex exec` runs with `captain mcp` as an MCP
 * server; the fake model server (scripted) makes it call captain_start_run, captain_delegate twice
 * (the workers are real `codex exec` runs against the same fake server), captain_wait until fan-in,
 * then answer with the fan-in summary.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mcpToolCall, startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { codexEnv, codexMcpServerToml, makeWorkerHome, resolveCodexBin, writeCodexHome } from '../../src/fake-model/worker-env.js';
import type { JsonObject } from '../../src/util/json.js';
import { CLI } from '../helpers/cli.js';
import { runCli } from '../fake-model/cli-run.js';

describe('Codex CLI as the captain, through captain mcp', () => {
  let server: FakeModelServer;
  let workspace: string;
  let captainHome: string;
  let workerHome: string;

  /** The run_dir captain_start_run returned, read from the first tool result. */
  const runDirFrom = (output: string): string => {
    // Codex hands the tool result back as text or as the structured content's JSON.
    const match = /run_dir"?:\s*"?([^"\s,}]+)/.exec(output);
    assert.ok(match, `captain_start_run output: ${output}`);
    return match[1]!;
  };

  before(async () => {
    server = await startFakeModelServer({
      scripts: {
        captain: (c) => {
          const results = c.toolResults.map((r) => r.output);
          switch (results.length) {
            case 0:
              return mcpToolCall(c.api, 'captain', 'captain_start_run', { title: 'two workers' });
            case 1:
              return mcpToolCall(c.api, 'captain', 'captain_delegate', {
                run_dir: runDirFrom(results[0]!),
                kind: 'codex',
                prompt: 'Write the summary. [[fake:ok:worker A finished]]',
                sandbox: 'read-only',
                idempotency_key: 'worker-a',
              });
            case 2:
              return mcpToolCall(c.api, 'captain', 'captain_delegate', {
                run_dir: runDirFrom(results[0]!),
                kind: 'codex',
                prompt: 'Check the tests. [[fake:ok:worker B finished]]',
                sandbox: 'read-only',
                idempotency_key: 'worker-b',
              });
            case 3:
              return mcpToolCall(c.api, 'captain', 'captain_wait', { run_dir: runDirFrom(results[0]!), until: 'fan_in', timeout_ms: 45_000 });
            default: {
              // Codex shows the model the structured content (JSON) when a tool returns one.
              const fanIn = /"fan_in":\{[^}]*"summary":"([^"]*)"/.exec(results[3] ?? '');
              return `All workers are done. ${fanIn ? fanIn[1] : `no fan-in seen: ${results[3] ?? ''}`}`;
            }
          }
        },
      },
    });
    workspace = mkdtempSync(join(tmpdir(), 'captain-codex-captain-'));
    captainHome = makeWorkerHome('captain');
    workerHome = makeWorkerHome('worker');
    writeCodexHome(workerHome, server.url);
    const mcp = codexMcpServerToml('captain', process.execPath, [CLI, 'mcp', '--workspace', workspace], codexEnv(workerHome));
    writeCodexHome(captainHome, server.url, { extraToml: mcp });
  });
  after(async () => {
    await server.close();
    for (const dir of [workspace, captainHome, workerHome]) rmSync(dir, { recursive: true, force: true });
  });

  it('delegates two real codex workers, waits for fan-in and answers with the summary', { timeout: 90_000 }, async () => {
    const run = await runCli({
      launcher: resolveCodexBin(),
      args: ['exec', '--json', '--skip-git-repo-check', '-s', 'read-only', 'Fan this out to two workers. [[fake:script:captain]]'],
      cwd: workspace,
      env: codexEnv(captainHome),
      timeoutMs: 80_000,
    });
    const messages = run.events.filter((e) => e.type === 'item.completed' && (e.item as JsonObject).type === 'agent_message').map((e) => String((e.item as JsonObject).text));
    const final = messages.at(-1) ?? '';
    assert.equal(run.code, 0, `codex exit ${run.code}; stderr: ${run.stderr}\nevents: ${JSON.stringify(run.events).slice(0, 3000)}`);
    assert.match(final, /^All workers are done\. Captain collapsed explicit fan-in after 2 completed worker result\(s\)\./);
    const calls = run.events.filter((e) => e.type === 'item.completed' && (e.item as JsonObject).type === 'mcp_tool_call').map((e) => String((e.item as JsonObject).tool));
    assert.deepEqual(calls, ['captain_start_run', 'captain_delegate', 'captain_delegate', 'captain_wait']);

    const runsDir = join(workspace, '.captain', 'runs');
    const [runId] = readdirSync(runsDir);
    const delegationsDir = join(runsDir, runId!, 'delegations');
    const records = readdirSync(delegationsDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(delegationsDir, f), 'utf8')) as JsonObject);
    assert.equal(records.length, 2);
    const messagesOfWorkers = records.map((r) => (r.worker_result as JsonObject).final_message).sort();
    assert.deepEqual(messagesOfWorkers, ['worker A finished', 'worker B finished']);
    for (const r of records) {
      assert.equal((r.child_agent as JsonObject).status, 'completed');
      assert.equal(typeof r.fan_in_collapsed_at, 'string');
    }
  });
});
