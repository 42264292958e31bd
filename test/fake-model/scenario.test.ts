/** Scenario markers and specs of the fake model server. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recallText } from '../../src/fake-model/plan.js';
import { readMessagesRequest } from '../../src/fake-model/conversation.js';
import { lastMarker, parseScenario } from '../../src/fake-model/scenario.js';

describe('lastMarker', () => {
  it('returns the inside of the last [[fake:...]] marker, or undefined', () => {
    assert.equal(lastMarker('a [[fake:ok:one]] b [[fake:delay:2:two]] c'), 'delay:2:two');
    assert.equal(lastMarker('no marker [[fake]] [fake:ok]'), undefined);
    assert.equal(lastMarker('[[fake:]]'), '');
  });
});

describe('parseScenario', () => {
  it('parses every scenario with its defaults', () => {
    assert.deepEqual(parseScenario('ok'), { kind: 'ok', text: 'FAKE_OK' });
    assert.deepEqual(parseScenario(''), { kind: 'ok', text: 'FAKE_OK' });
    assert.deepEqual(parseScenario('ok:a:b'), { kind: 'ok', text: 'a:b' });
    assert.deepEqual(parseScenario('delay:0.5'), { kind: 'delay', seconds: 0.5, text: 'FAKE_OK' });
    assert.deepEqual(parseScenario('delay:3:late'), { kind: 'delay', seconds: 3, text: 'late' });
    assert.deepEqual(parseScenario('stream:4'), { kind: 'stream', chunks: 4, text: 'FAKE_OK' });
    assert.deepEqual(parseScenario('think:2'), { kind: 'think', thoughts: 2, text: 'FAKE_OK after 2 thoughts' });
    assert.deepEqual(parseScenario('steps:3'), { kind: 'steps', steps: 3, delaySeconds: 1 });
    assert.deepEqual(parseScenario('steps:2:0.2'), { kind: 'steps', steps: 2, delaySeconds: 0.2 });
    assert.deepEqual(parseScenario('shell:echo a:b'), { kind: 'shell', command: 'echo a:b' });
    assert.deepEqual(parseScenario('error:503'), { kind: 'error', status: 503, message: 'fake error 503' });
    assert.deepEqual(parseScenario('error:400:bad: thing'), { kind: 'error', status: 400, message: 'bad: thing' });
    assert.deepEqual(parseScenario('fail'), { kind: 'fail', message: 'fake model failure' });
    assert.deepEqual(parseScenario('flaky:2'), { kind: 'flaky', failures: 2, status: 500 });
    assert.deepEqual(parseScenario('flaky:1:429'), { kind: 'flaky', failures: 1, status: 429 });
    assert.deepEqual(parseScenario('hang'), { kind: 'hang' });
    assert.deepEqual(parseScenario('hang-stream'), { kind: 'hang-stream' });
    assert.deepEqual(parseScenario('drop'), { kind: 'drop' });
    assert.deepEqual(parseScenario('script:captain:a:b'), { kind: 'script', name: 'captain', args: ['a', 'b'] });
    assert.deepEqual(parseScenario('recall:secret-'), { kind: 'recall', prefix: 'secret-' });
  });

  it('turns malformed specs into a 400 error scenario that names the spec and the expected form', () => {
    for (const [spec, expected] of [
      ['delay', 'delay:SECONDS'],
      ['delay:-1', 'delay:SECONDS'],
      ['steps:two', 'steps:COUNT'],
      ['steps:2:x', 'steps:COUNT'],
      ['stream:0', 'CHUNKS >= 1'],
      ['shell:', 'shell:COMMAND'],
      ['error:302', 'STATUS 400..599'],
      ['flaky:1:200', 'STATUS 400..599'],
      ['script', 'script:NAME'],
      ['recall', 'recall:PREFIX'],
      ['recall:a.b', 'recall:PREFIX'],
      ['teleport:3', 'one of ok, delay'],
    ] as const) {
      const scenario = parseScenario(spec);
      assert.equal(scenario.kind, 'error', spec);
      assert.ok(scenario.kind === 'error' && scenario.status === 400);
      assert.ok(scenario.kind === 'error' && scenario.message.includes(`"${spec}"`) && scenario.message.includes(expected), spec);
    }
  });
});

describe('recallText', () => {
  it('counts the user turns with a marker and lists the words with the prefix, oldest first, markers left out', () => {
    const conversation = readMessagesRequest({
      messages: [
        { role: 'user', content: [{ type: 'text', text: '<system-reminder>context secret-not-a-prompt</system-reminder>' }] },
        { role: 'user', content: 'Remember secret-alpha and secret-beta. [[fake:ok:noted]]' },
        { role: 'assistant', content: 'noted secret-from-the-model' },
        { role: 'user', content: 'What were they? [[fake:recall:secret-]]' },
      ],
    });
    assert.equal(recallText(conversation, 'secret-'), 'FAKE_RECALL prompts=2 words=secret-not-a-prompt,secret-alpha,secret-beta');
    const fresh = readMessagesRequest({ messages: [{ role: 'user', content: 'What were they? [[fake:recall:secret-]]' }] });
    assert.equal(recallText(fresh, 'secret-'), 'FAKE_RECALL prompts=1 words=');
  });
});
