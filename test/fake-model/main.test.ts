/** The fake model server's command-line entry: URL on stdout, port file, default scenario, SIGTERM. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'fake-model', 'main.ts');
const temps: string[] = [];
after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

const start = (args: string[]) =>
  spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FAKE_SCENARIO: '' } });

describe('fake-model main', () => {
  it('prints the URL, writes the port file, serves the default scenario and exits 0 on SIGTERM', { timeout: 20_000 }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'captain-'));
    temps.push(dir);
    const portFile = path.join(dir, 'port');
    const log = path.join(dir, 'requests.jsonl');
    const child = start(['--port', '0', '--port-file', portFile, '--scenario', 'ok:from main', '--log', log]);
    child.stdout.setEncoding('utf8');
    const [firstChunk] = (await once(child.stdout, 'data')) as [string];
    const url = firstChunk.trim();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(`http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`, url);

    const response = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', stream: false, messages: [{ role: 'user', content: 'no marker' }] }),
    });
    const body = (await response.json()) as { content: Array<{ text?: string }> };
    assert.equal(body.content[0]?.text, 'from main');
    const logged = fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { scenario: string });
    assert.deepEqual(logged.map((entry) => entry.scenario), ['ok:from main']);

    child.kill('SIGTERM');
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    assert.deepEqual([code, signal], [0, null]);
  });

  it('exits 2 with the usage on a bad argument', { timeout: 20_000 }, async () => {
    const child = start(['--port', 'abc']);
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 2);
    assert.match(stderr, /--port: expected an integer 0\.\.65535, got "abc"/);
    assert.match(stderr, /usage: fake-model/);
  });
});
