/**
 * Launch failures say why, before anything is written: a missing command, a missing or
 * non-executable binary, a missing cwd. And installed as a package (`npm pack`, `npm i -g`) with no
 * agent CLI on PATH, captain says to put it on PATH or pass --codex-bin, and the demo fails fast.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCaptain } from '../helpers/cli.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('delegate checks the launch first', () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-launch-'));
  const runDir = join(root, 'run');
  after(() => rmSync(root, { recursive: true, force: true }));
  assert.equal(runCaptain(['start', '--title', 'launch checks', '--run-dir', runDir]).code, 0);
  const notExecutable = join(root, 'script.sh');
  writeFileSync(notExecutable, '#!/bin/sh\necho hi\n');
  chmodSync(notExecutable, 0o644);

  const cases: Array<{ name: string; args: string[]; message: RegExp }> = [
    { name: 'a missing relative command', args: ['--kind', 'command', '--cwd', root, '--', './scripts/long-check.sh', '--all'], message: /\.\/scripts\/long-check\.sh \(resolved against the worker's cwd: .*\) does not exist/ },
    { name: 'a command not on PATH', args: ['--kind', 'command', '--', 'no-such-program-xyz'], message: /`no-such-program-xyz` is not found on PATH; give its path .* or put it on PATH/ },
    { name: 'a non-executable file', args: ['--kind', 'command', '--', notExecutable], message: /is not executable/ },
    { name: 'a nonexistent --codex-bin', args: ['--kind', 'codex', '--prompt', 'hi', '--codex-bin', '/nonexistent/codex'], message: /\/nonexistent\/codex does not exist; pass --codex-bin with the path of the CLI, or put it on PATH/ },
    { name: 'a nonexistent --cwd', args: ['--kind', 'command', '--cwd', join(root, 'nope'), '--', 'ls'], message: /cwd .*nope is not an existing directory; pass --cwd/ },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 1, a message naming it with a next step, no record`, () => {
      const result = runCaptain(['delegate', '--run-dir', runDir, ...c.args]);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stderr, c.message);
      assert.doesNotMatch(result.stdout, /delegated/);
      assert.deepEqual(existsSync(join(runDir, 'delegations')) ? readdirSync(join(runDir, 'delegations')) : [], []);
    });
  }
});

describe('installed as a package, without codex or claude on PATH', () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-installed-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('delegate says to put the CLI on PATH or pass --codex-bin / --claude-bin, and the demo fails fast', () => {
    execFileSync('npm', ['pack', '--pack-destination', root], { cwd: repo, stdio: 'ignore' });
    const tarball = readdirSync(root).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack made a tarball');
    const prefix = join(root, 'global');
    execFileSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(root, tarball)], { stdio: 'ignore', timeout: 240_000 });
    const env = { ...process.env, PATH: `${join(prefix, 'bin')}:${dirname(process.execPath)}:/usr/bin:/bin`, NO_COLOR: '1' };
    const captain = (args: string[]) => spawnSync(join(prefix, 'bin', 'captain'), args, { env, cwd: root, encoding: 'utf8', timeout: 60_000 });
    const runDir = join(root, 'run');
    assert.equal(captain(['start', '--title', 'installed', '--run-dir', runDir]).status, 0);
    const codex = captain(['delegate', '--run-dir', runDir, '--kind', 'codex', '--prompt', 'hi']);
    assert.equal(codex.status, 1, codex.stderr);
    assert.match(codex.stderr, /Codex CLI not found.*Put the Codex CLI on PATH .* or pass --codex-bin PATH/);
    assert.doesNotMatch(codex.stderr, /devDependency/);
    const claude = captain(['delegate', '--run-dir', runDir, '--kind', 'claude', '--prompt', 'hi']);
    assert.equal(claude.status, 1, claude.stderr);
    assert.match(claude.stderr, /Claude Code not found.*or pass --claude-bin PATH/);
    const started = Date.now();
    const demo = captain(['demo', '--runs-dir', join(root, 'runs')]);
    assert.equal(demo.status, 1, demo.stdout + demo.stderr);
    assert.ok(Date.now() - started < 30_000, 'the demo fails fast instead of hanging');
    assert.match(demo.stderr, /Codex CLI not found.*--codex-bin/);
  });
});
