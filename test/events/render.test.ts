/** `captain logs` one-liners for the recorded streams. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldStreamText, renderEventLine, type WorkerKind } from '../../src/events/index.js';
import { loadStream } from './helpers.js';

const render = (name: string): string[] => {
  const stream = loadStream(name);
  return foldStreamText(stream.kind, stream.text)
    .events.map((event) => renderEventLine(stream.kind, event))
    .filter((line): line is string => line !== null);
};

describe('renderEventLine', () => {
  it('renders a codex run with shell commands', () => {
    assert.deepEqual(render('codex-shell'), [
      'thread 01a20b13-dc89-7123-a4c6-8464a9496e13 started',
      "$ /bin/bash -c 'echo hi'",
      "$ /bin/bash -c 'echo hi' -> exit 0",
      "message: FAKE_OK ran `echo hi`; output: pyenv: cannot rehash: /home/user/.pyenv/shims isn't writable hi",
      'turn completed (in 14424 out 31)',
    ]);
  });

  it('renders codex errors and failed turns', () => {
    assert.deepEqual(render('codex-drop').slice(1), [
      'error: stream disconnected before completion: error sending request',
      'turn failed: stream disconnected before completion: error sending request',
    ]);
  });

  it('renders claude tool use, tool results and the result', () => {
    assert.deepEqual(render('claude-shell'), [
      'session 33c724a1-6092-4478-a211-e7ebf10e517e started (model claude-opus-5-5)',
      'tool Bash: echo hi',
      'tool result: hi',
      'message: FAKE_OK ran `echo hi`; output: hi',
      'result: FAKE_OK ran `echo hi`; output: hi [in 9224 out 11, $0.037, 2 turns]',
    ]);
  });

  it('renders claude API errors, retries and denials', () => {
    const retries = render('claude-error500-retries2');
    assert.equal(retries[1], 'retry 1/2 in 591 ms (500 server_error)');
    assert.ok(retries.some((line) => line.startsWith('error 500: API Error: 500')));
    assert.ok(retries.at(-1)?.startsWith('result error: API Error: 500'));
    assert.ok(retries.at(-1)?.endsWith('api_error]'));
    assert.ok(render('claude-shell-denied').some((line) => line.startsWith('permission denied for Bash: touch in ')));
    assert.ok(render('claude-hang-sigint').includes('user: [Request interrupted by user]'));
  });

  it('prints command output as is and marks stray text in JSON streams', () => {
    const event = { type: 'output', text: 'hello' } as const;
    assert.equal(renderEventLine('command', event), 'hello');
    for (const kind of ['codex', 'claude'] satisfies WorkerKind[]) assert.equal(renderEventLine(kind, event), '| hello');
    assert.equal(renderEventLine('codex', { type: 'turn_started' }), null);
    assert.equal(renderEventLine('codex', { type: 'progress', eventType: 'x' }), null);
    assert.equal(renderEventLine('codex', { type: 'unknown', reason: 'bad shape', line: '{}' }), '? bad shape');
  });
});
