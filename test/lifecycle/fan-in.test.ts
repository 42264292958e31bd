import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideFanIn, parallelFanoutGate } from '../../src/lifecycle/fan-in.js';
import type { JsonObject } from '../../src/util/json.js';
import { at, runningDelegation } from '../helpers/records.js';

const done = (id: string, status: string, extra: JsonObject = {}): JsonObject =>
  runningDelegation(id, { child: { status }, top: { worker_result: { thread_id: `thread-${id}` }, ...extra } });

describe('decideFanIn over delegations', () => {
  it('waits while any worker is active', () => {
    const d = decideFanIn({ taskCardId: 'card-1', taskCard: null, delegations: [done('a', 'completed'), runningDelegation('b')], collapsedAt: at(1) });
    assert.equal(d.ready, false);
    assert.deepEqual(!d.ready && d.activeDelegationIds, ['b']);
  });

  it('collapses terminal workers with the seed counts, thread ids and summary', () => {
    const d = decideFanIn({
      taskCardId: 'card-1',
      taskCard: null,
      delegations: [done('a', 'completed'), done('b', 'failed'), done('c', 'cancelled'), done('d', 'completed')],
      collapsedAt: at(1),
      orchestratorSummary: 'Next.',
    });
    assert.ok(d.ready);
    assert.equal(d.stamp, 'delegations');
    assert.deepEqual(d.payload, {
      collapsed_at: at(1),
      task_card_id: 'card-1',
      completed: 2,
      failed: 1,
      cancelled: 1,
      summary: 'Captain collapsed explicit fan-in after terminal worker results (2 completed, 1 failed, 1 cancelled). Next.',
      thread_ids: ['thread-a', 'thread-d'],
    });
    const ok = decideFanIn({ taskCardId: 'card-1', taskCard: null, delegations: [done('a', 'completed')], collapsedAt: at(1) });
    assert.ok(ok.ready);
    assert.equal(ok.payload.summary, 'Captain collapsed explicit fan-in after 1 completed worker result(s). ');
  });

  it('is idempotent: an already stamped set returns the earlier collapse and needs no stamp', () => {
    const stamped = [done('a', 'completed', { fan_in_collapsed_at: at(1) }), done('b', 'failed', { fan_in_collapsed_at: at(2) })];
    const d = decideFanIn({ taskCardId: 'card-1', taskCard: null, delegations: stamped, collapsedAt: at(99) });
    assert.ok(d.ready);
    assert.equal(d.stamp, 'none');
    assert.equal(d.payload.collapsed_at, at(2));
    const withNew = decideFanIn({ taskCardId: 'card-1', taskCard: null, delegations: [...stamped, done('c', 'completed')], collapsedAt: at(99) });
    assert.ok(withNew.ready);
    assert.equal(withNew.stamp, 'delegations', 'a new terminal worker re-collapses');
    assert.equal(withNew.payload.collapsed_at, at(99));
  });

  it("captain's declared lanes gate fan-in until every required lane has a terminal worker", () => {
    const card: JsonObject = {
      task_card_id: 'card-1',
      parallel_fanout: { mode: 'parallel', created_by: 'captain', lanes: [{ lane_id: 'a', required: true }, { lane_id: 'b', required: true }, { lane_id: 'c', required: false }] },
    };
    const d = decideFanIn({ taskCardId: 'card-1', taskCard: card, delegations: [done('x', 'completed', { lane_id: 'a' })], collapsedAt: at(1) });
    assert.equal(d.ready, false);
    assert.deepEqual(!d.ready && d.missingLaneIds, ['b']);
    const both = decideFanIn({ taskCardId: 'card-1', taskCard: card, delegations: [done('x', 'completed', { lane_id: 'a' }), done('y', 'failed', { lane_id: 'b' })], collapsedAt: at(1) });
    assert.equal(both.ready, true);
  });
});

describe('task-card fallback', () => {
  const card = (envelope: JsonObject | undefined, extra: JsonObject = {}): JsonObject => ({ task_card_id: 'card-1', ...(envelope ? { worker_result_envelope: envelope } : {}), ...extra });

  it('maps envelope statuses like the seed', () => {
    const cases: Array<[string, [number, number, number] | null]> = [
      ['completed', [1, 0, 0]], [' PASSED ', [1, 0, 0]], ['success', [1, 0, 0]], ['failed', [0, 1, 0]], ['error', [0, 1, 0]],
      ['cancelled', [0, 0, 1]], ['canceled', [0, 0, 1]], ['running', null],
    ];
    for (const [status, counts] of cases) {
      const d = decideFanIn({ taskCardId: 'card-1', taskCard: card({ status, summary: '  Done it. ' }), delegations: [], collapsedAt: at(1) });
      if (counts === null) {
        assert.equal(d.ready, false, status);
        continue;
      }
      assert.ok(d.ready, status);
      assert.deepEqual([d.payload.completed, d.payload.failed, d.payload.cancelled], counts, status);
      assert.equal(d.stamp, 'task_card');
    }
    const ok = decideFanIn({ taskCardId: 'card-1', taskCard: card({ status: 'completed', summary: '  Done it. ' }), delegations: [], collapsedAt: at(1) });
    assert.ok(ok.ready);
    assert.equal(ok.payload.summary, 'Captain collapsed task-card fan-in after 1 completed worker result(s). Done it. ');
  });

  it('uses subagent_fan_in as an alias, defaults a blank summary, and needs an envelope', () => {
    const d = decideFanIn({ taskCardId: 'card-1', taskCard: card(undefined, { subagent_fan_in: { status: 'failed', summary: ' ' } }), delegations: [], collapsedAt: at(1) });
    assert.ok(d.ready);
    assert.equal(d.payload.summary, 'Captain collapsed task-card fan-in after terminal worker result (0 completed, 1 failed, 0 cancelled). Task card terminal fan-in is ready. ');
    assert.equal(decideFanIn({ taskCardId: 'card-1', taskCard: card(undefined), delegations: [], collapsedAt: at(1) }).ready, false);
  });

  it('the parallel fan-out gate blocks until required lanes are terminal', () => {
    const lanes = (statusB: string): JsonObject => ({
      parallel_fanout: { mode: 'parallel', lanes: [{ lane_id: 'raider-a', required: true, lifecycle: { status: 'completed' } }, { lane_id: 'raider-b', required: true, lifecycle: { status: statusB } }] },
    });
    const blocked = decideFanIn({ taskCardId: 'card-1', taskCard: card({ status: 'completed' }, lanes('running')), delegations: [], collapsedAt: at(1) });
    assert.equal(blocked.ready, false);
    assert.deepEqual(!blocked.ready && blocked.missingLaneIds, ['raider-b']);
    assert.equal(decideFanIn({ taskCardId: 'card-1', taskCard: card({ status: 'completed' }, lanes('merged')), delegations: [], collapsedAt: at(1) }).ready, true);
    assert.deepEqual(parallelFanoutGate({ parallel_fanout: { aggregate: { fan_in_ready: false } } }), { fan_in_ready: false, missing_lane_ids: [] });
    assert.equal(parallelFanoutGate({}), null);
  });

  it('returns the earlier task-card collapse', () => {
    const d = decideFanIn({ taskCardId: 'card-1', taskCard: card({ status: 'completed' }, { fan_in_collapsed_at: at(3) }), delegations: [], collapsedAt: at(9) });
    assert.ok(d.ready);
    assert.equal(d.stamp, 'none');
    assert.equal(d.payload.collapsed_at, at(3));
  });
});
