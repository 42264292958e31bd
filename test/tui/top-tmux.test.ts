/**
 * `captain top` in a real terminal: the built CLI inside a detached tmux session (80x24), driven by
 * `send-keys` and read by `capture-pane`, on a real run with real command workers. Also the plain
 * mode (`--once`, and stdout not a TTY) through the CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCaptain } from '../helpers/cli.js';

const tmuxPresent = spawnSync('tmux', ['-V']).status === 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('captain top in tmux', { skip: tmuxPresent ? false : 'tmux is not installed (.ci/run installs it)' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'captain-top-'));
  const runDir = join(root, 'run');
  const release = join(root, 'release');
  const socket = join(root, 'tmux.sock');
  const session = 'top';
  const exitFile = join(root, 'exit-code');
  const ids = { waiter: '', sleeper: '', done: '', hanger: '' };
  const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  const screen = (): string => tmux('capture-pane', '-p', '-t', session).stdout;
  const until = async (what: string, test: (text: string) => boolean, timeoutMs = 20_000): Promise<string> => {
    const end = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < end) {
      text = screen();
      if (test(text)) return text;
      await sleep(150);
    }
    assert.fail(`${what}: not seen within ${timeoutMs} ms; screen:\n${text}`);
  };
  const delegate = (title: string, script: string): string => {
    const r = runCaptain(['delegate', '--run-dir', runDir, '--kind', 'command', '--title', title, '--json', '--', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).delegation_id;
  };
  const record = (id: string) => JSON.parse(readFileSync(join(runDir, 'delegations', `${id}.json`), 'utf8'));

  before(() => {
    assert.equal(runCaptain(['start', '--title', 'top test', '--run-dir', runDir]).code, 0);
    ids.done = delegate('quick echo', 'echo hello from done');
    ids.waiter = delegate('waiter', `echo waiting; while [ ! -f '${release}' ]; do sleep 0.1; done; echo released`);
    ids.sleeper = delegate('sleeper', 'echo sleeping; sleep 120');
    ids.hanger = delegate('hanger', 'echo hanging; sleep 120');
  });

  after(() => {
    tmux('kill-server');
    writeFileSync(release, '');
    for (const id of [ids.sleeper, ids.hanger]) spawnSync(process.execPath, [CLI, 'cancel', '--run-dir', runDir, '--delegation', id]);
    rmSync(root, { recursive: true, force: true });
  });

  it('shows rows live, opens the detail, cancels after a confirmation, filters, redraws on resize, quits with 0', async () => {
    const command = `${process.execPath} ${CLI} top --run-dir ${runDir}; echo $? > ${exitFile}`;
    // CI=true as in a CI shell: ink would draw nothing until exit; a TTY must still get the live view.
    const started = tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', '-e', 'NO_COLOR=1', '-e', 'CI=true', command);
    assert.equal(started.status, 0, started.stderr);

    let text = await until('three rows', (t) => t.includes('quick echo') && t.includes('waiter') && t.includes('sleeper'));
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /captain top · run /);
    assert.ok(lines.every((l) => l.length <= 80));
    assert.match(text, /q quit/);

    // A worker returning shows up without a key press.
    writeFileSync(release, '');
    text = await until('the waiter returned', (t) => /returned\s+command waiter/.test(t));

    // Arrows + enter: the detail pane with the worker's log.
    tmux('send-keys', '-t', session, 'Down', 'Down', 'Enter');
    text = await until('the sleeper detail', (t) => t.includes(`worker ${ids.sleeper}`));
    assert.match(text, /─── log ───/);
    assert.match(text, /sleeping/);
    tmux('send-keys', '-t', session, 'Escape');
    await until('the list again', (t) => t.includes('STATE'));

    // c asks first; n keeps the worker.
    tmux('send-keys', '-t', session, 'c');
    await until('the cancel prompt', (t) => t.includes(`cancel ${ids.sleeper}? y to confirm`));
    tmux('send-keys', '-t', session, 'n');
    await until('kept', (t) => t.includes('cancel: kept'));
    assert.equal(record(ids.sleeper).child_agent.status, 'running');
    tmux('send-keys', '-t', session, 'c');
    await until('the cancel prompt again', (t) => t.includes(`cancel ${ids.sleeper}? y to confirm`));
    tmux('send-keys', '-t', session, 'y');
    text = await until('cancelled on screen', (t) => /cancelled\s+command sleeper/.test(t));
    assert.equal(record(ids.sleeper).child_agent.status, 'cancelled');

    // f: a follow-up prompt; a command worker cannot be resumed, and the footer says why.
    tmux('send-keys', '-t', session, 'f');
    await until('the follow-up prompt', (t) => t.includes(`follow-up to ${ids.sleeper}:`));
    tmux('send-keys', '-t', session, 'a', 'g', 'a', 'i', 'n', 'Enter');
    await until('the follow-up refused', (t) => t.includes(`follow-up to ${ids.sleeper} failed`));
    assert.equal(record(ids.sleeper).followed_up_by, undefined);

    // / filters.
    tmux('send-keys', '-t', session, '/', 'e', 'c', 'h', 'o', 'Enter');
    text = await until('filtered', (t) => t.includes('quick echo') && !t.includes('sleeper'));
    assert.ok(!text.includes('waiter'));
    tmux('send-keys', '-t', session, '/', 'Escape');
    await until('unfiltered', (t) => t.includes('sleeper'));

    // Resize: everything redrawn at the new width (the USAGE column appears from 100 columns).
    tmux('resize-window', '-t', session, '-x', '100', '-y', '30');
    text = await until('redrawn at 100x30', (t) => t.includes('USAGE'));
    assert.equal(text.replace(/\n$/, '').split('\n').length, 30);
    // The frame fills the screen but its last line (ink redraws everything for output as tall as the terminal): the footer is on line 29.
    assert.match(text.split('\n')[28] ?? '', /q quit/);

    tmux('send-keys', '-t', session, 'q');
    const end = Date.now() + 10_000;
    let code = '';
    while (Date.now() < end) {
      try {
        code = readFileSync(exitFile, 'utf8').trim();
        break;
      } catch {
        await sleep(100);
      }
    }
    assert.equal(code, '0');
  });

  it('r reclaims a worker past its thresholds (judged by the flags top was given)', async () => {
    const command = `${process.execPath} ${CLI} top --run-dir ${runDir} --worker-stuck-after-ms 1000 --worker-kill-grace-ms 200`;
    assert.equal(tmux('new-session', '-d', '-s', 'reclaim', '-x', '80', '-y', '24', '-e', 'NO_COLOR=1', '-e', 'CI=true', command).status, 0);
    const pane = (): string => tmux('capture-pane', '-p', '-t', 'reclaim').stdout;
    const end = Date.now() + 20_000;
    const wait = async (test: (t: string) => boolean, what: string) => {
      while (!test(pane()) && Date.now() < end) await sleep(150);
      assert.ok(test(pane()), `${what}; screen:\n${pane()}`);
    };
    await wait((t) => /timed out\s+command hanger/.test(t), 'the hanger timed out');
    tmux('send-keys', '-t', 'reclaim', '/', 'h', 'a', 'n', 'g', 'Enter');
    await wait((t) => t.includes('hanger') && !t.includes('quick echo'), 'filtered to the hanger');
    tmux('send-keys', '-t', 'reclaim', 'r');
    await wait((t) => t.includes(`reclaimed ${ids.hanger}`) && /reclaimed\s+command hanger/.test(t), 'reclaimed');
    assert.equal(record(ids.hanger).worker_lifecycle.reclaim_state, 'reclaimed');
    tmux('send-keys', '-t', 'reclaim', 'q');
  });

  it('plain lines: --once prints one snapshot; without a TTY it prints a new one per change', async () => {
    const once = runCaptain(['top', '--run-dir', runDir, '--once']);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /^run .*fan-in: /);
    assert.match(once.stdout, /STATE\s+KIND\s+TITLE\s+AGE\s+LAST EVENT/);
    assert.match(once.stdout, new RegExp(`returned\\s+command\\s+quick echo.*hello from done.*${ids.done}`));
    assert.ok(!once.stdout.includes('\u001b['), 'no escape codes in plain lines');

    const child = spawn(process.execPath, [CLI, 'top', '--run-dir', runDir], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    try {
      const wait = async (test: () => boolean, what: string) => {
        const end = Date.now() + 20_000;
        while (!test() && Date.now() < end) await sleep(100);
        assert.ok(test(), `${what}; output:\n${out}`);
      };
      await wait(() => out.includes('quick echo'), 'first snapshot');
      const late = delegate('late worker', 'echo late');
      await wait(() => out.includes(late) && /returned\s+command\s+late worker/.test(out), 'a snapshot with the late worker returned');
      assert.ok(out.split('\nrun ').length >= 2, 'more than one snapshot printed');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
