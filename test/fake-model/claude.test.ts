/**
 * The real Claude Code (`claude -p --output-format stream-json --verbose`) against the fake model
 * server, offline, with a fresh CLAUDE_CONFIG_DIR per case; cases run concurrently on one server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { mcpToolCall, startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { claudeEnv, claudeMcpConfig, makeWorkerHome, resolveClaudeBin } from '../../src/fake-model/worker-env.js';
import { getKey, type JsonObject } from '../../src/util/json.js';
import { runCli, type CliRun } from './cli-run.js';

const MCP_ECHO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'mcp-echo.mjs');

let server: FakeModelServer;
const dirs: string[] = [];

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
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const runClaude = async (prompt: string, extraArgs: string[] = []): Promise<CliRun> => {
  const configDir = makeWorkerHome('claude');
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'captain-'));
  dirs.push(configDir, cwd);
  return runCli({
    launcher: resolveClaudeBin(),
    args: ['-p', '--output-format', 'stream-json', '--verbose', ...extraArgs, '--', prompt],
    cwd,
    env: claudeEnv(server.url, configDir),
    timeoutMs: 25_000,
  });
};

const kinds = (run: CliRun): string[] =>
  run.events.map((event) => [event.type, event.subtype].filter((part) => part !== undefined).join('/'));
const resultOf = (run: CliRun): JsonObject | undefined => run.events.at(-1);
const contentBlocks = (run: CliRun, type: 'assistant' | 'user'): JsonObject[] =>
  run.events
    .filter((event) => event.type === type)
    .flatMap((event) => {
      const content = getKey(getKey(event, 'message'), 'content');
      return Array.isArray(content) ? (content as JsonObject[]) : [];
    });

describe('real Claude Code against the fake model server', { concurrency: true }, () => {
  it('ok: init, one assistant text, a success result with the session id, exit 0', { timeout: 30_000 }, async (t) => {
    const run = await runClaude('Say hello. [[fake:ok:Hello from the fake model.]]');
    t.diagnostic(`claude ok: ${run.elapsedMs} ms, system/init at ${run.eventTimesMs[0]} ms`);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(kinds(run), ['system/init', 'assistant', 'result/success']);
    const sessionId = String(run.events[0]?.session_id);
    assert.match(sessionId, /^[0-9a-f-]{36}$/);
    const result = resultOf(run);
    assert.equal(result?.is_error, false);
    assert.equal(result?.result, 'Hello from the fake model.');
    assert.equal(result?.session_id, sessionId);
    assert.equal(result?.terminal_reason, 'completed');
    const requests = server.requests().filter((request) => request.sessionId === sessionId);
    assert.deepEqual(
      requests.map((request) => [request.path, request.scenario, request.model, request.stream]),
      [['/v1/messages', 'ok:Hello from the fake model.', 'claude-opus-5-5', true]],
    );
    assert.equal(run.stderr, '');
  });

  it('error:400: synthetic assistant error and an is_error result, exit 1', { timeout: 30_000 }, async () => {
    const run = await runClaude('Fail please. [[fake:error:400:bad request from fake]]');
    assert.equal(run.code, 1);
    assert.deepEqual(kinds(run), ['system/init', 'assistant', 'result/success']);
    const assistant = run.events[1];
    assert.equal(getKey(getKey(assistant, 'message'), 'model'), '<synthetic>');
    const result = resultOf(run);
    assert.equal(result?.is_error, true);
    assert.equal(result?.api_error_status, 400);
    assert.equal(result?.terminal_reason, 'api_error');
    assert.match(String(result?.result), /400 bad request from fake/);
  });

  it('script: calls a tool of an MCP server given with --mcp-config', { timeout: 30_000 }, async () => {
    const run = await runClaude('Use the tool. [[fake:script:mcp-echo]]', [
      '--mcp-config',
      claudeMcpConfig('echo', process.execPath, [MCP_ECHO]),
      '--allowedTools',
      'mcp__echo__echo_back',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const call = contentBlocks(run, 'assistant').find((block) => block.type === 'tool_use');
    assert.equal(call?.name, 'mcp__echo__echo_back');
    const toolResult = contentBlocks(run, 'user').find((block) => block.type === 'tool_result');
    assert.deepEqual(toolResult?.content, [{ type: 'text', text: 'ECHO:from the fake model' }]);
    assert.equal(resultOf(run)?.result, 'mcp said: ECHO:from the fake model');
  });
});
