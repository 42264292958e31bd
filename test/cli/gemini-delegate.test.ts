/**
 * `captain delegate --kind gemini --prompt TEXT --gemini-bin PATH` with the built CLI: the real Gemini
 * CLI against the fake model server, then `captain result` prints the final message and a rounded,
 * priced cost.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeModelServer, type FakeModelServer } from '../../src/fake-model/server.js';
import { FAKE_GEMINI_MODEL, geminiEnv, makeWorkerHome, resolveGeminiBin, writeGeminiHome } from '../../src/fake-model/worker-env.js';
import type { JsonObject } from '../../src/util/json.js';
import { runCaptain } from '../helpers/cli.js';
import { sleep } from '../helpers/worker-harness.js';

describe('captain delegate --kind gemini', () => {
  let server: FakeModelServer;
  let root: string;
  let home: string;
  before(async () => {
    server = await startFakeModelServer();
    root = mkdtempSync(join(tmpdir(), 'captain-cli-gemini-'));
    home = makeWorkerHome('gemini');
    writeGeminiHome(home);
  });
  after(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('runs the given --gemini-bin and reports the result with a priced cost', async () => {
    const runDir = join(root, 'run');
    assert.equal(runCaptain(['start', '--run-dir', runDir, '--title', 'gemini cli']).code, 0);
    const [geminiJs] = resolveGeminiBin().args; // bundle/gemini.js: an executable node script
    const env = Object.entries(geminiEnv(server.url, home)).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
    const delegated = runCaptain(
      ['delegate', '--run-dir', runDir, '--kind', 'gemini', '--prompt', 'hi [[fake:ok:hello from the gemini cli]]', '--gemini-bin', String(geminiJs), '--cwd', root, '--json', ...env, '--', '--model', FAKE_GEMINI_MODEL],
    );
    assert.equal(delegated.code, 0, delegated.stderr);
    const id = String((JSON.parse(delegated.stdout) as JsonObject).delegation_id);
    let result: JsonObject = {};
    for (const deadline = Date.now() + 40_000; Date.now() < deadline; await sleep(250)) {
      result = JSON.parse(runCaptain(['result', '--run-dir', runDir, '--delegation', id, '--json']).stdout) as JsonObject;
      if (result.status !== 'running') break;
    }
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.equal(result.kind, 'gemini');
    assert.equal(result.final_message, 'hello from the gemini cli');
    assert.equal(result.cost_source, 'priced');
    const text = runCaptain(['result', '--run-dir', runDir, '--delegation', id]).stdout;
    assert.match(text, /^cost: \$0\.\d+ \(priced from list prices of \d{4}-\d{2}-\d{2}\)$/m);
    const status = runCaptain(['status', '--run-dir', runDir]).stdout;
    assert.match(status, /tokens \(.*\), \$0\.\d+/);
  });
});
