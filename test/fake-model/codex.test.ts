/**
 * The real Codex CLI (`codex exec --json`) against the fake model server, offline. Each case gets its
 * own CODEX_HOME (outside /tmp) and its own working folder (outside any git repository); the cases
 * run concurrently against one server, which tells them apart by Codex's session header.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { mcpToolCall, startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { codexEnv, codexMcpServerToml, makeWorkerHome, resolveCodexBin, writeCodexHome } from '../../src/fake-model/worker-env.js';
import { getKey, type JsonObject } from '../../src/util/json.js';
import { eventsOfType, runCli, type CliRun } from './cli-run.js';

const MCP_ECHO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'mcp-echo.mjs');

let server: FakeModelServer;
const homes: string[] = [];

before(async () => {
  server = await startFakeModelServer({
    scripts: {
      'mcp-echo': (conversation) =>
        conversation.toolResults.length === 0
          ? mcpToolCall(conversation.api, 'echo', 'echo_back', { text: 'from the fake model' })
          : `mcp said: ${conversation.toolResults[0]?.output ?? ''}`,
    },
  });
});

after(async () => {
  await server.close();
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

/** Runs `codex exec --json --skip-git-repo-check -s read-only PROMPT` in a fresh home and folder. */
const runCodex = async (prompt: string, extraToml?: string): Promise<CliRun> => {
  const home = makeWorkerHome('codex');
  homes.push(home);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'captain-'));
  homes.push(cwd);
  writeCodexHome(home, server.url, extraToml === undefined ? {} : { extraToml });
  return runCli({
    launcher: resolveCodexBin(),
    args: ['exec', '--json', '--skip-git-repo-check', '-s', 'read-only', prompt],
    cwd,
    env: codexEnv(home),
    timeoutMs: 25_000,
  });
};

const types = (run: CliRun): string[] => run.events.map((event) => String(event.type));
const items = (run: CliRun, itemType: string): JsonObject[] =>
  eventsOfType(run, 'item.completed')
    .map((event) => getKey(event, 'item'))
    .filter((item): item is JsonObject => getKey(item, 'type') === itemType);
const threadId = (run: CliRun): string => String(eventsOfType(run, 'thread.started')[0]?.thread_id);
const requestsOf = (run: CliRun) => server.requests().filter((request) => request.sessionId === threadId(run));

describe('real Codex CLI against the fake model server', { concurrency: true }, () => {
  it('ok: one agent message, turn.completed with usage, exit 0', { timeout: 30_000 }, async (t) => {
    const run = await runCodex('Say hello. [[fake:ok:Hello from the fake model.]]');
    t.diagnostic(`codex ok: ${run.elapsedMs} ms, thread.started at ${run.eventTimesMs[0]} ms`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(types(run), ['thread.started', 'turn.started', 'item.completed', 'turn.completed']);
    assert.match(threadId(run), /^[0-9a-f-]{36}$/);
    assert.deepEqual(items(run, 'agent_message').map((item) => item.text), ['Hello from the fake model.']);
    const usage = getKey(eventsOfType(run, 'turn.completed')[0], 'usage');
    assert.ok(typeof getKey(usage, 'input_tokens') === 'number' && typeof getKey(usage, 'output_tokens') === 'number');
    assert.deepEqual(
      requestsOf(run).map((request) => [request.path, request.scenario, request.model]),
      [['/v1/responses', 'ok:Hello from the fake model.', 'gpt-5.5']],
    );
    assert.deepEqual(run.otherLines, []);
    assert.equal(run.stderr.trim(), 'Reading additional input from stdin...', 'no other stderr (no /tmp PATH-alias warning)');
  });

  it('error:400: error + turn.failed with the raw body, exit 1', { timeout: 30_000 }, async () => {
    const run = await runCodex('Fail please. [[fake:error:400:bad request from fake]]');
    assert.equal(run.code, 1);
    assert.deepEqual(types(run), ['thread.started', 'turn.started', 'error', 'turn.failed']);
    const failed = eventsOfType(run, 'turn.failed')[0];
    assert.match(String(getKey(getKey(failed, 'error'), 'message')), /bad request from fake/);
    assert.equal(requestsOf(run).length, 1, 'request_max_retries = 0: no retry');
  });

  it('steps:2:0.2: two command_execution items, then the final message', { timeout: 30_000 }, async (t) => {
    const run = await runCodex('Work in steps. [[fake:steps:2:0.2]]');
    t.diagnostic(`codex steps:2:0.2: ${run.elapsedMs} ms`);
    assert.equal(run.code, 0, run.stderr);
    const commands = items(run, 'command_execution');
    assert.equal(commands.length, 2);
    assert.match(String(commands[0]?.command), /echo step 1 of 2/);
    assert.match(String(commands[1]?.command), /echo step 2 of 2/);
    assert.match(String(commands[1]?.aggregated_output), /step 2 of 2/);
    assert.deepEqual(commands.map((item) => [item.status, item.exit_code]), [['completed', 0], ['completed', 0]]);
    assert.equal(eventsOfType(run, 'item.started').length, 2);
    assert.deepEqual(items(run, 'agent_message').map((item) => item.text), ['FAKE_OK finished 2 steps']);
    assert.deepEqual(requestsOf(run).map((request) => request.toolRounds), [0, 1, 2]);
  });

  it('shell:echo hi: runs the command and quotes its output', { timeout: 30_000 }, async () => {
    const run = await runCodex('Run a command. [[fake:shell:echo hi]]');
    assert.equal(run.code, 0, run.stderr);
    const [command] = items(run, 'command_execution');
    assert.match(String(command?.command), /echo hi/);
    assert.match(String(command?.aggregated_output), /(^|\n)hi\n$/);
    assert.deepEqual(items(run, 'agent_message').map((item) => item.text), ['FAKE_OK ran `echo hi`; output: hi']);
  });

  it('script: calls a tool of a configured MCP server and answers with its result', { timeout: 30_000 }, async () => {
    const run = await runCodex('Use the tool. [[fake:script:mcp-echo]]', codexMcpServerToml('echo', process.execPath, [MCP_ECHO]));
    assert.equal(run.code, 0, run.stderr);
    const [call] = items(run, 'mcp_tool_call');
    assert.equal(call?.server, 'echo');
    assert.equal(call?.tool, 'echo_back');
    assert.equal(call?.status, 'completed', JSON.stringify(call));
    assert.deepEqual(getKey(call?.result, 'content'), [{ type: 'text', text: 'ECHO:from the fake model' }]);
    assert.match(String(items(run, 'agent_message')[0]?.text), /^mcp said: [\s\S]*ECHO:from the fake model$/);
  });
});
