/** Codex stream rules: upstream-exact artifacts and status, captain's fixes, and captain's strict mode. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCompletionSnapshot,
  codexEvents,
  createCodexScanner,
  createNonJsonScanner,
  parseLine,
  rustLines,
  summarizeForVisibility,
  type ExitInfo,
} from '../../src/events/index.js';
import { FINAL_MESSAGE_MAX_BYTES } from '../../src/config/defaults.js';
import { COMPLETED_AT } from './helpers.js';

const jsonl = (...values: unknown[]): string => values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))).join('\n') + '\n';

const snap = (text: string, exit: ExitInfo | null, stderrTail?: string) =>
  buildCompletionSnapshot({
    kind: 'codex',
    text: { head: text, tail: '', whole: true, size: Buffer.byteLength(text) },
    exit,
    completedAt: COMPLETED_AT,
    ...(stderrTail !== undefined ? { stderrTail } : {}),
  });

const OK_EXIT: ExitInfo = { code: 0, signal: null };
const THREAD = { type: 'thread.started', thread_id: 'thread-1' };
const MESSAGE = (text: string) => ({ type: 'item.completed', item: { id: 'item_0', type: 'agent_message', text } });
const COMPLETED = { type: 'turn.completed', usage: { input_tokens: 10, output_tokens: 2 } };

describe('codex artifacts (upstream rules, last value wins)', () => {
  const scanText = (text: string) => {
    const scanner = createCodexScanner();
    for (const line of rustLines(text)) scanner.add(parseLine(line));
    return scanner.scan();
  };

  it('reads thread_id or thread.id, trimmed, and ignores blank ids', () => {
    assert.equal(scanText(jsonl({ thread_id: ' a ' }, { thread: { id: 'b' } }, { thread_id: '   ' })).threadId, 'b');
    assert.equal(scanText(jsonl({ thread: { id: 'b' } }, { thread_id: 'c', thread: { id: 'd' } })).threadId, 'c');
  });

  it('reads agent_message item text or an assistant message with string content, trimmed', () => {
    assert.equal(scanText(jsonl(MESSAGE('  first  '), { type: 'item.completed', item: { type: 'reasoning', text: 'no' } })).lastMessage, 'first');
    assert.equal(scanText(jsonl(MESSAGE('first'), { message: { role: 'assistant', content: 'second' } })).lastMessage, 'second');
    // Claude-style array content and non-assistant roles are not messages under upstream's rule.
    assert.equal(scanText(jsonl({ message: { role: 'assistant', content: [{ type: 'text', text: 'x' }] } })).lastMessage, null);
    assert.equal(scanText(jsonl({ message: { role: 'user', content: 'x' } })).lastMessage, null);
    // An agent_message item without text falls through to the message rule.
    assert.equal(scanText(jsonl({ item: { type: 'agent_message' }, message: { role: 'assistant', content: 'fallback' } })).lastMessage, 'fallback');
  });

  it('takes usage from the first present key even when it is null (upstream or_else chain)', () => {
    assert.deepEqual(scanText(jsonl({ payload: { info: { total_token_usage: { total: 1 } } }, usage: { total: 2 } })).usage, { total: 1 });
    assert.deepEqual(scanText(jsonl({ response: { usage: { total: 3 } }, payload: { usage: { total: 4 } } })).usage, { total: 3 });
    assert.deepEqual(scanText(jsonl({ payload: { usage: { total: 4 } } })).usage, { total: 4 });
    // payload.info.total_token_usage is present but null: upstream picks it, then drops it as a non-object.
    assert.equal(scanText(jsonl({ payload: { info: { total_token_usage: null } }, usage: { total: 2 } })).usage, null);
    // A later non-object usage does not erase an earlier object.
    assert.deepEqual(scanText(jsonl({ usage: { total: 5 } }, { usage: 7 })).usage, { total: 5 });
  });

  it('the terminal event is the last turn.completed or turn.failed; nothing else is terminal', () => {
    const scan = scanText(jsonl({ type: 'turn.failed', error: { message: 'x' } }, COMPLETED, { type: 'turn.started' }, { type: 'response.completed' }));
    assert.equal(scan.terminal?.type, 'turn.completed');
    assert.equal(scanText(jsonl({ type: 'response.completed' }, { type: 'error', message: 'm' })).terminal, null);
  });
});

describe('codex completion snapshot, upstream compatibility mode (exit unknown)', () => {
  it('no terminal event but a message counts as completed (upstream heuristic kept)', () => {
    const result = snap(jsonl(THREAD, MESSAGE('done')), null);
    assert.equal(result.status, 'completed');
    assert.equal(result.summary, 'Worker returned a bounded result to captain fan-in.');
    assert.equal(result.latest_failure, null);
    assert.equal(result.worker_result.thread_id, 'thread-1');
  });

  it('no terminal event but usage counts as completed, with the no-message summary', () => {
    const result = snap(jsonl(THREAD, { type: 'token_count', usage: { total_tokens: 5 } }), null);
    assert.equal(result.status, 'completed');
    assert.equal(result.summary, 'Worker finished and returned control to captain fan-in.');
  });

  it('turn.failed fails with execution_failed even after a message', () => {
    const result = snap(jsonl(THREAD, MESSAGE('partial'), { type: 'turn.failed', error: { message: 'boom "x"' } }), null);
    assert.equal(result.status, 'failed');
    assert.equal(result.latest_failure?.reason, 'execution_failed');
    const size = Buffer.byteLength(jsonl(THREAD, MESSAGE('partial'), { type: 'turn.failed', error: { message: 'boom "x"' } }));
    assert.equal(
      result.summary,
      `Worker exited without parseable Codex result or usage artifacts. terminal_event=turn.failed error="boom 'x'" raw_events_bytes=${size}`,
    );
  });

  it('a JSON error line makes a failed run execution_failed', () => {
    const result = snap(jsonl(THREAD, { type: 'error', message: 'Reconnecting... 1/4' }), null);
    assert.equal(result.latest_failure?.reason, 'execution_failed');
  });

  it('failure phrases count in non-JSON lines (stderr text) ...', () => {
    for (const phrase of ['fatal: not a git repository', 'error: websocket closed', 'x stream disconnected', 'ERROR: A DNS ERROR here']) {
      const result = snap(jsonl(THREAD, phrase), null);
      assert.equal(result.latest_failure?.reason, 'execution_failed', phrase);
    }
    const viaStderr = snap(jsonl(THREAD), null, 'Reading additional input from stdin...\nfatal: bad things\n');
    assert.equal(viaStderr.latest_failure?.reason, 'execution_failed');
  });

  it('... but never inside JSON events: model text with the phrases is not a transport failure', () => {
    const text = jsonl(
      THREAD,
      { type: 'item.completed', item: { type: 'reasoning', text: 'the websocket failed: fatal: dns error, stream disconnected' } },
      { type: 'item.completed', item: { type: 'command_execution', command: 'git status', aggregated_output: 'fatal: not a git repository', exit_code: 128, status: 'failed' } },
    );
    const result = snap(text, null);
    assert.equal(result.status, 'failed');
    assert.equal(result.latest_failure?.reason, 'invalid_output');
    // Upstream matched the whole lower-cased file, so it would have said execution_failed here.
    assert.ok(text.toLowerCase().includes('fatal:'));
  });

  it('an agent_message quoting every failure phrase never sets the phrase flag', () => {
    const phrases = ' failed to connect  dns error stream disconnected transport channel closed error sending request websocket reconnecting... fatal:';
    const nonJson = createNonJsonScanner();
    const line = parseLine(JSON.stringify(MESSAGE(phrases)));
    nonJson.add(line);
    assert.equal(nonJson.scan().failurePhraseSeen, false);
    // Even cut (truncated) JSON lines are not scanned for phrases.
    nonJson.add(parseLine(JSON.stringify(MESSAGE(phrases)).slice(0, 120)));
    assert.equal(nonJson.scan().failurePhraseSeen, false);
    const withMessage = snap(jsonl(THREAD, MESSAGE(phrases), COMPLETED), OK_EXIT);
    assert.equal(withMessage.status, 'completed');
  });

  it('non-empty output without artifacts is invalid_output; an empty file is unknown', () => {
    assert.equal(snap(jsonl(THREAD), null).latest_failure?.reason, 'invalid_output');
    const empty = snap('', null);
    assert.equal(empty.latest_failure?.reason, 'unknown');
    assert.equal(empty.summary, 'Worker exited without parseable Codex result or usage artifacts. raw_events_bytes=0');
  });

  it('a missing raw file is unknown with raw_output_bytes null', () => {
    const result = buildCompletionSnapshot({ kind: 'codex', text: null, exit: null, completedAt: COMPLETED_AT });
    assert.equal(result.latest_failure?.reason, 'unknown');
    assert.equal(result.worker_result.raw_output_bytes, null);
    assert.equal(result.summary, 'Worker exited without parseable Codex result or usage artifacts.');
  });

  it('raw_output_preview joins the first 4 trimmed non-JSON lines, whitespace-collapsed, at most 220 chars', () => {
    const text = ['  one  ', '{"type":"turn.started"}', '', 'two\tlines', 'three', 'four', 'five'].join('\n');
    assert.equal(snap(text, null).worker_result.raw_output_preview, 'one two lines three four');
    const long = snap(`${'x'.repeat(300)}\n`, null).worker_result.raw_output_preview as string;
    assert.equal(long.length, 220);
    assert.ok(long.endsWith('...'));
  });
});

describe('codex completion snapshot, captain mode (exit observed)', () => {
  it('a message without a terminal event is a failure: no_terminal_event', () => {
    const result = snap(jsonl(THREAD, MESSAGE('looked done')), OK_EXIT);
    assert.equal(result.status, 'failed');
    assert.equal(result.worker_result.failure_reason, 'no_terminal_event');
    assert.equal(result.latest_failure?.reason, 'no_terminal_event');
    assert.equal(result.worker_result.final_message, 'looked done');
  });

  it('turn.completed with a non-zero exit is execution_failed', () => {
    const result = snap(jsonl(THREAD, MESSAGE('ok'), COMPLETED), { code: 1, signal: null });
    assert.equal(result.status, 'failed');
    assert.equal(result.latest_failure?.reason, 'execution_failed');
    assert.ok(result.summary.startsWith('Worker exited with code 1 after turn.completed. terminal_event=turn.completed exit_code=1'), result.summary);
  });

  it('a signal is killed_by_signal, even after turn.completed', () => {
    const result = snap(jsonl(THREAD, COMPLETED), { code: null, signal: 'SIGKILL' });
    assert.equal(result.latest_failure?.reason, 'killed_by_signal');
    assert.ok(result.summary.startsWith('Worker was killed by SIGKILL.'));
    assert.deepEqual(result.worker_result.process_exit, { success: false, exit_code: null, signal: 'SIGKILL' });
  });

  it('turn.completed and exit 0 completes, even with retry error lines before it', () => {
    const result = snap(jsonl(THREAD, { type: 'error', message: 'Reconnecting... 1/4' }, MESSAGE('fine'), COMPLETED), OK_EXIT);
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.worker_result.total_token_usage, { input_tokens: 10, output_tokens: 2 });
  });

  it('a no-terminal failure quotes the last error line', () => {
    const result = snap(jsonl(THREAD, { type: 'error', message: 'Reconnecting... 2/4 (overloaded)' }), { code: 1, signal: null });
    assert.equal(result.latest_failure?.reason, 'no_terminal_event');
    assert.ok(result.summary.includes('last_error="Reconnecting... 2/4 (overloaded)"'), result.summary);
  });
});

describe('codex previews and caps', () => {
  it('assistant_message_preview is upstream summarize_text_for_visibility(180); final_message keeps the full text', () => {
    const text = `${'word '.repeat(100)}end`;
    const result = snap(jsonl(THREAD, MESSAGE(text), COMPLETED), OK_EXIT);
    const preview = result.worker_result.assistant_message_preview as string;
    assert.equal(preview.length, 180);
    assert.equal(preview, summarizeForVisibility(text, 180));
    assert.ok(preview.endsWith('...'));
    assert.equal(result.worker_result.final_message, text);
  });

  it('final_message is capped at 16 KiB of UTF-8 without splitting a character', () => {
    const text = 'é'.repeat(20_000); // 40 000 bytes
    const final = snap(jsonl(THREAD, MESSAGE(text), COMPLETED), OK_EXIT).worker_result.final_message as string;
    assert.ok(Buffer.byteLength(final) <= FINAL_MESSAGE_MAX_BYTES);
    assert.ok(Buffer.byteLength(final) > FINAL_MESSAGE_MAX_BYTES - 64);
    assert.ok(!final.includes('\ufffd'));
    assert.ok(final.endsWith('[... truncated]'));
  });

  it('summaries count characters as Unicode scalar values, like Rust', () => {
    assert.equal(summarizeForVisibility('😀'.repeat(5), 5), '😀'.repeat(5));
    assert.equal(summarizeForVisibility('😀'.repeat(6), 5), '😀😀...');
    assert.equal(summarizeForVisibility(' a \u00a0 b\u3000c ', 10), 'a b c');
  });
});

describe('codex typed events', () => {
  const events = (value: unknown) => codexEvents(parseLine(typeof value === 'string' ? value : JSON.stringify(value)));

  it('types the real event shapes', () => {
    assert.deepEqual(events(THREAD), [{ type: 'thread_started', threadId: 'thread-1' }]);
    assert.deepEqual(events(MESSAGE('hi')), [{ type: 'agent_message', text: 'hi' }]);
    assert.deepEqual(events({ type: 'item.started', item: { id: 'i', type: 'command_execution', command: 'ls', aggregated_output: '', exit_code: null, status: 'in_progress' } }), [
      { type: 'command_started', command: 'ls' },
    ]);
    assert.deepEqual(events({ type: 'item.completed', item: { id: 'i', type: 'command_execution', command: 'ls', aggregated_output: 'a\n', exit_code: 0, status: 'completed' } }), [
      { type: 'command_completed', command: 'ls', exitCode: 0, status: 'completed', output: 'a\n' },
    ]);
    assert.deepEqual(events({ type: 'turn.failed', error: { message: 'x' } }), [{ type: 'turn_failed', message: 'x' }]);
    assert.deepEqual(events(COMPLETED), [{ type: 'turn_completed', usage: { input_tokens: 10, output_tokens: 2 } }]);
  });

  it('unknown types are progress; wrong shapes and non-objects are unknown; never throws', () => {
    assert.deepEqual(events({ type: 'item.completed', item: { type: 'file_change', changes: [] } }), [{ type: 'progress', eventType: 'item.completed:file_change' }]);
    assert.deepEqual(events({ type: 'something.new' }), [{ type: 'progress', eventType: 'something.new' }]);
    assert.equal(events({ type: 'thread.started', thread_id: 5 })[0]?.type, 'unknown');
    assert.equal(events({ type: 'item.completed', item: { type: 'agent_message', text: 42 } })[0]?.type, 'unknown');
    assert.equal(events({ type: 'turn.completed', usage: 'lots' })[0]?.type, 'unknown');
    assert.equal(events([1, 2, 3])[0]?.type, 'unknown');
    assert.equal(events('42')[0]?.type, 'unknown');
    assert.deepEqual(events('Reading additional input from stdin...'), [{ type: 'output', text: 'Reading additional input from stdin...' }]);
    assert.deepEqual(events('   '), []);
  });
});

describe('codex turn.failed messages', () => {
  it('a 4xx JSON error body passed through raw by Codex is unwrapped to its message', () => {
    const body = JSON.stringify({ error: { message: 'context too long', type: 'invalid_request_error' } });
    const result = snap(jsonl(THREAD, { type: 'turn.started' }, { type: 'turn.failed', error: { message: body } }), { code: 1, signal: null });
    assert.equal(result.status, 'failed');
    assert.match(result.summary, /^Codex turn failed: context too long/);
    const plain = snap(jsonl(THREAD, { type: 'turn.failed', error: { message: 'stream disconnected' } }), { code: 1, signal: null });
    assert.match(plain.summary, /^Codex turn failed: stream disconnected/);
  });
});

describe('findTerminalEventSync skips lines that cannot be terminal', () => {
  it('still finds a terminal event whose type is \\u-escaped, and ignores "turn." inside other text', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { findTerminalEventSync } = await import('../../src/events/snapshot.js');
    const dir = mkdtempSync(join(tmpdir(), 'captain-terminal-'));
    try {
      const escaped = join(dir, 'escaped.jsonl');
      writeFileSync(escaped, `${JSON.stringify(THREAD)}\n{"type":"turn\\u002ecompleted","usage":{}}\n${JSON.stringify(MESSAGE('bye'))}\n`);
      assert.equal(findTerminalEventSync(escaped, 'codex')?.type, 'turn.completed');
      const mention = join(dir, 'mention.jsonl');
      writeFileSync(mention, `${JSON.stringify(THREAD)}\n${JSON.stringify(MESSAGE('the next turn.completed will come'))}\n`);
      assert.equal(findTerminalEventSync(mention, 'codex'), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
