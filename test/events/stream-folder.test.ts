/** The incremental stream folder agrees with whole-text parsing whatever the chunk boundaries. */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import {
  buildCompletionSnapshot,
  createStreamFolder,
  foldStreamText,
  type WorkerEvent,
  type WorkerKind,
} from '../../src/events/index.js';
import { COMPLETED_AT, loadStream, seededRandom, streamNames } from './helpers.js';

/** Feeds `bytes` in random-sized pieces (as bytes or as strings cut on UTF-16 units) and flushes. */
const foldInChunks = (kind: WorkerKind, bytes: Buffer, seed: number, asBytes: boolean, maxChunk: number) => {
  const random = seededRandom(seed);
  const folder = createStreamFolder(kind);
  const events: WorkerEvent[] = [];
  if (asBytes) {
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + Math.floor(random() * maxChunk);
      events.push(...folder.push(bytes.subarray(at, at + size), 0));
      at += size;
    }
  } else {
    const text = bytes.toString('utf8');
    for (let at = 0; at < text.length; ) {
      const size = 1 + Math.floor(random() * maxChunk);
      events.push(...folder.push(text.slice(at, at + size), 0));
      at += size;
    }
  }
  events.push(...folder.flush(0));
  return { events, state: folder.state() };
};

describe('stream folder', () => {
  for (const name of streamNames()) {
    it(`${name}: any chunking gives the whole-text result, and the snapshot's artifacts`, () => {
      const stream = loadStream(name);
      const whole = foldStreamText(stream.kind, stream.text);
      assert.ok(whole.events.length > 0);
      for (const [seed, asBytes, maxChunk] of [[1, true, 1], [2, true, 7], [3, false, 13], [4, true, 200], [5, false, 4096]] as const) {
        const chunked = foldInChunks(stream.kind, Buffer.from(stream.text), seed, asBytes, maxChunk);
        assert.deepEqual(chunked.events, whole.events, `seed ${seed}`);
        assert.deepEqual(chunked.state, whole.state, `seed ${seed}`);
      }
      const snap = buildCompletionSnapshot({
        kind: stream.kind,
        text: { head: stream.text, tail: '', whole: true, size: Buffer.byteLength(stream.text) },
        exit: stream.exit,
        completedAt: COMPLETED_AT,
      });
      const result = snap.worker_result;
      assert.equal(whole.state.threadId, result.thread_id);
      assert.equal(whole.state.sessionId, result.session_id);
      assert.deepEqual(whole.state.usage, result.total_token_usage);
      assert.equal(whole.state.costUsd, result.cost_usd);
      assert.equal(whole.state.terminalEvent, result.terminal_event);
      assert.equal(whole.state.lastMessage, result.final_message);
      assert.equal(whole.state.lines, stream.text.split('\n').length - 1);
      assert.equal(whole.state.unknownEvents, 0, JSON.stringify(whole.events.filter((event) => event.type === 'unknown')));
    });
  }

  it('counts events by type and tracks the live state of a codex run', () => {
    const stream = loadStream('codex-steps');
    const folder = createStreamFolder('codex');
    const lines = stream.text.split('\n');
    folder.push(`${lines.slice(0, 4).join('\n')}\n`, 1_000);
    let state = folder.state();
    assert.equal(state.threadId, '01a20b13-e247-7771-af48-d0e49a5f2128');
    assert.equal(state.terminalEvent, null);
    assert.equal(state.toolCalls, 1);
    assert.equal(state.lastEventAtMs, 1_000);
    folder.push(`${lines.slice(4).join('\n')}`, 2_000);
    state = folder.state();
    assert.equal(state.terminalEvent, 'turn.completed');
    assert.equal(state.toolCalls, 3);
    assert.deepEqual(state.countsByType, { thread_started: 1, turn_started: 1, command_started: 3, command_completed: 3, agent_message: 1, turn_completed: 1 });
    assert.equal(state.lastMessage, 'FAKE_OK finished 3 steps');
    assert.equal(state.lastEventAtMs, 2_000);
    assert.equal(folder.push('', 3_000).length, 0);
    assert.equal(folder.state().lastEventAtMs, 2_000);
  });

  it('tracks errors, retries and cost of claude runs', () => {
    const error = foldStreamText('claude', loadStream('claude-error500-retries2').text).state;
    assert.equal(error.countsByType.retry, 2);
    assert.ok(error.lastError?.startsWith('API Error: 500'));
    assert.equal(error.terminalEvent, 'result');
    const ok = foldStreamText('claude', loadStream('claude-shell').text).state;
    assert.equal(ok.toolCalls, 1);
    assert.equal(ok.costUsd, 0.037115999999999996);
    assert.equal(ok.lastError, null);
  });

  it('handles CRLF line endings and a last line without a newline', () => {
    const text = '{"type":"thread.started","thread_id":"t"}\r\n{"type":"turn.started"}\r\nplain text';
    const folder = createStreamFolder('codex');
    assert.deepEqual(folder.push(text, 1), [{ type: 'thread_started', threadId: 't' }, { type: 'turn_started' }]);
    assert.equal(folder.state().pendingChars, 'plain text'.length);
    assert.deepEqual(folder.flush(2), [{ type: 'output', text: 'plain text' }]);
    assert.equal(folder.state().pendingChars, 0);
  });

  it('drops over-long lines as one unknown event, then carries on', () => {
    const folder = createStreamFolder('codex', { maxLineChars: 100 });
    const events = [
      ...folder.push('x'.repeat(60), 1),
      ...folder.push('x'.repeat(60), 1), // now over the limit, still no newline
      ...folder.push(`${'x'.repeat(500)}\n{"type":"turn.started"}\n`, 1),
      ...folder.push(`${'y'.repeat(150)}\n{"type":"turn.started"}\n`, 1), // over the limit inside one chunk
    ];
    assert.deepEqual(
      events.map((event) => event.type),
      ['unknown', 'turn_started', 'unknown', 'turn_started'],
    );
    const state = folder.state();
    assert.equal(state.droppedLines, 2);
    assert.equal(state.lines, 4);
    assert.equal(state.pendingChars, 0);
  });

  it('never throws on random bytes, and splits them the same way in any chunking', () => {
    const bytes = crypto.randomBytes(200_000);
    for (const kind of ['codex', 'claude', 'command'] as const) {
      const whole = foldInChunks(kind, bytes, 7, true, bytes.length);
      const chunked = foldInChunks(kind, bytes, 8, true, 333);
      assert.deepEqual(chunked.state, whole.state);
      assert.equal(chunked.events.length, whole.events.length);
      assert.equal(whole.state.terminalEvent, null);
    }
  });
});
