/**
 * The supervisor's decisions, driven with fixed clocks: records, config, memory and `now` in;
 * actions and the next wake-up out. No process, no file: the plan is pure.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RUNTIME_CONFIG, SUPERVISOR_ORPHAN_RECHECK_MS, type RuntimeConfig } from '../../src/config/defaults.js';
import {
  planRefreshWrites,
  planSupervisorPass,
  type ObservedDelegation,
  type SupervisorAction,
  type SupervisorMemory,
  type SupervisorPlanInput,
} from '../../src/lifecycle/supervisor-plan.js';
import type { JsonObject } from '../../src/util/json.js';
import { at, runningDelegation, T0 } from '../helpers/records.js';

const CONFIG: RuntimeConfig = {
  ...DEFAULT_RUNTIME_CONFIG,
  worker_stuck_after_ms: 3_000,
  worker_quiet_after_ms: 500,
  worker_max_retries_per_phase: 2,
  worker_retry_backoff_ms: 300,
};

const emptyMemory = (): SupervisorMemory => ({ phases: new Map(), fanIns: new Set(), retries: new Set() });

const observed = (record: JsonObject, extra: Partial<ObservedDelegation> = {}): ObservedDelegation => ({
  path: `/run/delegations/${String(record.delegation_id)}.json`,
  record,
  refresh: 'none',
  monitorAlive: true,
  ...extra,
});

const plan = (records: Array<JsonObject | ObservedDelegation>, over: Partial<SupervisorPlanInput> & { now: number }) =>
  planSupervisorPass({
    delegations: records.map((r) => ('record' in r && 'path' in r ? (r as ObservedDelegation) : observed(r as JsonObject))),
    taskCards: new Map(),
    config: CONFIG,
    maxParallel: undefined,
    reclaiming: new Set(),
    memory: emptyMemory(),
    ...over,
  });

const ofType = <T extends SupervisorAction['type']>(actions: SupervisorAction[], type: T): Extract<SupervisorAction, { type: T }>[] =>
  actions.filter((a): a is Extract<SupervisorAction, { type: T }> => a.type === type);

/** A delegation that ended with `status` at `endedAt` (attempt and failure reason optional). */
const ended = (id: string, status: 'completed' | 'failed' | 'cancelled', endedAt: string, extra: { attempt?: number; reason?: string; top?: JsonObject; lifecycle?: JsonObject } = {}): JsonObject =>
  runningDelegation(id, {
    child: { status },
    lifecycle: { state: status === 'completed' ? 'returned' : status, reclaim_state: 'not_needed', last_progress_at: endedAt, ...extra.lifecycle },
    top: {
      completed_at: endedAt,
      result_summary: `${id} ${status}`,
      worker_request: { kind: 'command', argv: ['true'], ...(extra.attempt === undefined ? {} : { attempt: extra.attempt, retry_root: 'root' }) },
      ...(extra.reason === undefined ? {} : { worker_result: { failure_reason: extra.reason } }),
      ...extra.top,
    },
  });

const queued = (id: string, withGeneration = true): JsonObject =>
  runningDelegation(id, {
    child: { status: 'queued' },
    lifecycle: { state: 'queued', launch_requested_at: null, started_at: null, last_progress_at: null, ...(withGeneration ? { generation: `gen-${id}` } : {}) },
  });

describe('planSupervisorPass: retries', () => {
  it('a failed worker is retried after the backoff, doubled per attempt; before that the plan wakes at the due time', () => {
    const first = ended('a', 'failed', at(0));
    const early = plan([first], { now: T0 + 299 });
    assert.deepEqual(ofType(early.actions, 'retry'), []);
    assert.equal(early.nextWakeAt, T0 + 300);

    const due = plan([first], { now: T0 + 300 });
    const [retry] = ofType(due.actions, 'retry');
    assert.ok(retry);
    assert.deepEqual(
      { of: retry.of, dueAt: retry.dueAt, attempt: retry.attempt, root: retry.root, key: retry.idempotencyKey },
      { of: 'a', dueAt: T0 + 300, attempt: 2, root: 'a', key: 'retry:a:2' },
    );
    assert.equal(due.nextWakeAt, undefined, 'nothing else pending');

    // The second attempt waits twice as long and keeps the chain's root.
    const second = ended('b', 'failed', at(0), { attempt: 2 });
    assert.equal(plan([second], { now: T0 + 599 }).nextWakeAt, T0 + 600);
    const [again] = ofType(plan([second], { now: T0 + 600 }).actions, 'retry');
    assert.deepEqual({ attempt: again?.attempt, key: again?.idempotencyKey }, { attempt: 3, key: 'retry:root:3' });

    // Past the limit (2 retries): never again.
    const third = ended('c', 'failed', at(0), { attempt: 3 });
    assert.deepEqual(ofType(plan([third], { now: T0 + 10_000 }).actions, 'retry'), []);
  });

  it('never retries a cancel intent, exit_status_unknown, spawn_failed, cancelled, a completed or an already retried worker', () => {
    const never = [
      ended('intent', 'failed', at(0), { lifecycle: { cancel_requested_at: at(-1) } }),
      ended('unknown', 'failed', at(0), { reason: 'exit_status_unknown' }),
      ended('spawn', 'failed', at(0), { reason: 'spawn_failed' }),
      ended('latest', 'failed', at(0), { top: { latest_failure: { reason: 'cancelled' } } }),
      ended('stopped', 'cancelled', at(0)),
      ended('done', 'completed', at(0)),
      ended('retried', 'failed', at(0), { top: { retried_by: 'dlg-next' } }),
    ];
    const result = plan(never, { now: T0 + 60_000 });
    assert.deepEqual(ofType(result.actions, 'retry'), []);
    assert.equal(result.nextWakeAt, undefined);
    // Settled for good, so the card fans in.
    assert.deepEqual(ofType(result.actions, 'collapse-fan-in'), [{ type: 'collapse-fan-in', taskCardId: 'card-1' }]);
  });

  it('a retry stamped but never logged (a crash in between) is logged once; a logged one is not', () => {
    const stamped = ended('s', 'failed', at(0), { top: { retried_by: 'dlg-s2' } });
    const logged = ended('l', 'failed', at(0), { top: { retried_by: 'dlg-l2' } });
    const memory = { ...emptyMemory(), retries: new Set(['l']) };
    assert.deepEqual(ofType(plan([stamped, logged], { now: T0, memory }).actions, 'log-retry'), [{ type: 'log-retry', of: 's', retryId: 'dlg-s2', attempt: 2 }]);
  });
});

describe('planSupervisorPass: queued launches', () => {
  it('offers queued workers in record order with the free slots under max-parallel', () => {
    const records = [runningDelegation('r1'), queued('q1'), runningDelegation('r2'), queued('q2'), queued('nogen', false), queued('q3')];
    const [launch] = ofType(plan(records, { now: T0, maxParallel: 3 }).actions, 'launch-queued');
    assert.deepEqual(launch, {
      type: 'launch-queued',
      candidates: ['q1', 'q2', 'q3'].map((id) => ({ path: `/run/delegations/${id}.json`, delegationId: id })),
      slots: 1,
    });
    assert.equal(ofType(plan(records, { now: T0 }).actions, 'launch-queued')[0]?.slots, undefined, 'no limit');
    assert.equal(ofType(plan(records, { now: T0, maxParallel: 2 }).actions, 'launch-queued')[0]?.slots, 0, 'full');
    assert.deepEqual(ofType(plan([runningDelegation('r1')], { now: T0, maxParallel: 3 }).actions, 'launch-queued'), [], 'nothing queued');
  });

  it('orders the pass: transitions, reclaims, retries, launches, fan-in', () => {
    const records = [
      runningDelegation('stuck', { top: { task_card_id: 'card-2' } }),
      ended('f', 'failed', at(0)),
      queued('q'),
      ended('x', 'completed', at(0), { top: { task_card_id: 'card-3' } }),
    ];
    const types = plan(records, { now: T0 + 5_000 }).actions.map((a) => a.type);
    assert.deepEqual([...new Set(types)], ['log-transition', 'reclaim', 'retry', 'launch-queued', 'collapse-fan-in']);
  });
});

describe('planSupervisorPass: fan-in', () => {
  const card = (lanes: JsonObject[]): JsonObject => ({ task_card_id: 'card-1', parallel_fanout: { created_by: 'captain', lanes } });

  it('collapses a task card once every worker ended for good, and not while one runs, waits for a retry or is being reclaimed', () => {
    const a = ended('a', 'completed', at(0));
    const b = ended('b', 'failed', at(0), { reason: 'spawn_failed' });
    assert.deepEqual(ofType(plan([a, b], { now: T0 }).actions, 'collapse-fan-in'), [{ type: 'collapse-fan-in', taskCardId: 'card-1' }]);
    assert.deepEqual(ofType(plan([a, runningDelegation('r')], { now: T0 }).actions, 'collapse-fan-in'), [], 'one still running');
    assert.deepEqual(ofType(plan([a, ended('c', 'failed', at(0))], { now: T0 }).actions, 'collapse-fan-in'), [], 'a retry is due');
    const reclaiming = new Set([observed(b).path]);
    assert.deepEqual(ofType(plan([a, b], { now: T0, reclaiming }).actions, 'collapse-fan-in'), [], 'a reclaim is running');
  });

  it('does not collapse again a fan-in already logged for the same stamps', () => {
    const a = ended('a', 'completed', at(0), { top: { fan_in_collapsed_at: at(5) } });
    const memory = { ...emptyMemory(), fanIns: new Set([`card-1@${at(5)}`]) };
    assert.deepEqual(ofType(plan([a], { now: T0, memory }).actions, 'collapse-fan-in'), []);
    assert.equal(ofType(plan([a], { now: T0 }).actions, 'collapse-fan-in').length, 1, 'stamped but not logged: the op returns the earlier stamp');
  });

  it("waits for captain's declared lanes: each required lane needs a worker, all of them ended", () => {
    const a = ended('a', 'completed', at(0), { top: { lane_id: 'lane-a' } });
    const lanes: JsonObject[] = [{ lane_id: 'lane-a' }, { lane_id: 'lane-b' }, { lane_id: 'optional', required: false }];
    const missing = plan([a], { now: T0, taskCards: new Map([['card-1', card(lanes)]]) });
    assert.deepEqual(ofType(missing.actions, 'collapse-fan-in'), []);
    const b = ended('b', 'failed', at(0), { reason: 'spawn_failed', top: { lane_id: 'lane-b' } });
    const ready = plan([a, b], { now: T0, taskCards: new Map([['card-1', card(lanes)]]) });
    assert.deepEqual(ofType(ready.actions, 'collapse-fan-in'), [{ type: 'collapse-fan-in', taskCardId: 'card-1' }]);
    // Lanes declared by somebody else are the fan-in op's business, not a gate here.
    const foreign = { task_card_id: 'card-1', parallel_fanout: { created_by: 'host', lanes } };
    assert.equal(ofType(plan([a], { now: T0, taskCards: new Map([['card-1', foreign]]) }).actions, 'collapse-fan-in').length, 1);
  });
});

describe('planSupervisorPass: next wake-up', () => {
  it('is the earliest threshold crossing of a running worker (quiet, stale, timeout), one past it', () => {
    const r = runningDelegation('r'); // last progress at T0; quiet 500, stale and timeout 3000 (capped by config)
    assert.equal(plan([r], { now: T0 + 100 }).nextWakeAt, T0 + 501);
    assert.equal(plan([r], { now: T0 + 501 }).nextWakeAt, T0 + 3_001);
    const longer = runningDelegation('t', { lifecycle: { timeout_after_ms: 45_000 } });
    assert.equal(plan([longer], { now: T0 + 3_001, config: { ...CONFIG, worker_stuck_after_ms: 0 } }).nextWakeAt, T0 + 45_001);
  });

  it('is a re-check soon for a worker without a live monitor, and a retry due wins when earlier', () => {
    const orphan = observed(runningDelegation('o'), { monitorAlive: false });
    assert.equal(plan([orphan], { now: T0 + 600 }).nextWakeAt, T0 + 600 + SUPERVISOR_ORPHAN_RECHECK_MS);
    const failed = ended('f', 'failed', at(550));
    assert.equal(plan([orphan, failed], { now: T0 + 600 }).nextWakeAt, T0 + 850);
    assert.equal(plan([runningDelegation('r'), failed], { now: T0 + 100 }).nextWakeAt, T0 + 501, 'the quiet crossing comes first');
  });

  it('is undefined when nothing can change by time alone', () => {
    assert.equal(plan([ended('a', 'completed', at(0)), queued('q')], { now: T0 }).nextWakeAt, undefined);
  });
});

describe('planSupervisorPass: refresh, transitions, reclaim', () => {
  it('writes observed refreshes first, and decides nothing else until they are on disk', () => {
    const records = [observed(runningDelegation('p'), { refresh: 'progress' }), observed(ended('f', 'failed', at(0))), observed(runningDelegation('e'), { refresh: 'finalized' })];
    const result = plan(records, { now: T0 + 60_000 });
    assert.deepEqual(result.actions, [
      { type: 'refresh-write', path: '/run/delegations/p.json' },
      { type: 'refresh-write', path: '/run/delegations/e.json' },
    ]);
    assert.equal(result.nextWakeAt, undefined);
    assert.deepEqual(planRefreshWrites(records), result.actions);
  });

  it('logs the difference between the records and the logged phases, with the summary of an ended worker', () => {
    const memory = { ...emptyMemory(), phases: new Map([['same', 'running_active'], ['done', 'running_quiet']]) };
    const records = [runningDelegation('same'), ended('done', 'completed', at(0)), runningDelegation('new', { top: { task_card_id: 'card-9' } })];
    assert.deepEqual(ofType(plan(records, { now: T0 + 100, memory }).actions, 'log-transition'), [
      { type: 'log-transition', delegationId: 'done', taskCardId: 'card-1', from: 'running_quiet', to: 'returned', summary: 'done completed' },
      { type: 'log-transition', delegationId: 'new', taskCardId: 'card-9', from: null, to: 'running_active' },
    ]);
    // Reclaimed reads as its own phase.
    const reclaimed = ended('rc', 'failed', at(0), { lifecycle: { state: 'timed_out', reclaim_state: 'reclaimed' }, reason: 'exit_status_unknown' });
    assert.equal(ofType(plan([reclaimed], { now: T0 }).actions, 'log-transition')[0]?.to, 'reclaimed');
  });

  it('reclaims a stuck worker once (not while a reclaim runs, not with auto reclaim off)', () => {
    const stuck = runningDelegation('s');
    assert.deepEqual(ofType(plan([stuck], { now: T0 + 2_999 }).actions, 'reclaim'), []);
    assert.deepEqual(ofType(plan([stuck], { now: T0 + 3_000 }).actions, 'reclaim'), [{ type: 'reclaim', path: '/run/delegations/s.json' }]);
    assert.deepEqual(ofType(plan([stuck], { now: T0 + 3_000, reclaiming: new Set(['/run/delegations/s.json']) }).actions, 'reclaim'), []);
    assert.deepEqual(ofType(plan([stuck], { now: T0 + 3_000, config: { ...CONFIG, worker_auto_reclaim_enabled: false } }).actions, 'reclaim'), []);
  });

  it('relaunches an unclaimed launch once its claim grace passed, unless it is being reclaimed', () => {
    const lost = runningDelegation('l', {
      lifecycle: { state: 'launching', generation: 'g1', started_at: null, process_started_at: null, launch_requested_at: at(0), last_progress_at: at(0) },
    });
    const waiting = plan([lost], { now: T0 + 100 });
    assert.deepEqual(ofType(waiting.actions, 'relaunch-lost'), []);
    assert.equal(waiting.nextWakeAt, T0 + 501, 'the quiet crossing precedes the grace (min(1000, stale / 2) = 1000)');
    assert.equal(plan([lost], { now: T0 + 600 }).nextWakeAt, T0 + 1_000, 'then the end of the claim grace');
    assert.deepEqual(ofType(plan([lost], { now: T0 + 1_000 }).actions, 'relaunch-lost'), [{ type: 'relaunch-lost', path: '/run/delegations/l.json', staleAfterMs: 3_000 }]);
    assert.deepEqual(ofType(plan([lost], { now: T0 + 1_000, reclaiming: new Set(['/run/delegations/l.json']) }).actions, 'relaunch-lost'), []);
  });
});

describe('planSupervisorPass: run_idle', () => {
  it('is planned once all workers ended for good, after the fan-in, with the final counts; not again once logged', () => {
    const records = [ended('a', 'completed', at(0)), ended('b', 'failed', at(0), { attempt: 3 }), ended('c', 'cancelled', at(0))];
    const first = plan(records, { now: T0 + 10_000 });
    const types = first.actions.map((a) => a.type);
    assert.equal(types.at(-1), 'log-run-idle', types.join(', '));
    assert.ok(types.indexOf('collapse-fan-in') < types.indexOf('log-run-idle'), 'after the fan-in');
    assert.deepEqual(ofType(first.actions, 'log-run-idle')[0], { type: 'log-run-idle', workers: 3, completed: 1, failed: 1, cancelled: 1 });
    assert.deepEqual(ofType(plan(records, { now: T0 + 10_000, memory: { ...emptyMemory(), idle: true } }).actions, 'log-run-idle'), []);
  });

  it('is not planned while a worker runs or is queued, a retry is still to come, a reclaim runs, or the run is empty', () => {
    const done = ended('a', 'completed', at(0));
    assert.deepEqual(ofType(plan([done, queued('q')], { now: T0 + 10_000 }).actions, 'log-run-idle'), []);
    assert.deepEqual(ofType(plan([done, runningDelegation('r')], { now: T0 + 100 }).actions, 'log-run-idle'), []);
    assert.deepEqual(ofType(plan([done, ended('f', 'failed', at(0))], { now: T0 + 10_000 }).actions, 'log-run-idle'), [], 'a retry is due');
    assert.deepEqual(ofType(plan([done, ended('f', 'failed', at(0))], { now: T0 + 1 }).actions, 'log-run-idle'), [], 'a retry is pending');
    assert.deepEqual(ofType(plan([done], { now: T0 + 10_000, reclaiming: new Set(['/run/delegations/x.json']) }).actions, 'log-run-idle'), []);
    assert.deepEqual(ofType(plan([], { now: T0 }).actions, 'log-run-idle'), []);
  });
});

describe('planSupervisorPass: budget and held launches', () => {
  const budget = { maxTokens: 1000, maxCostUsd: null, action: 'hold' as const };
  const spent = { totalTokens: 1200, costUsd: null, costUnknownWorkers: 1 };

  it('budget reached: budget_exceeded once, no launch and no retry, the queued ones held with the reason; re-check soon', () => {
    const failed = ended('f', 'failed', at(0), { reason: 'execution_failed' });
    const records = [runningDelegation('r1'), queued('q1'), failed];
    const first = plan(records, { now: T0 + 10_000, maxParallel: 5, budget, budgetUsage: spent });
    const [logged, ...more] = ofType(first.actions, 'log-budget-exceeded');
    assert.equal(more.length, 0);
    assert.deepEqual([logged?.key, logged?.reached, logged?.reason], ['1000/-', ['max_tokens'], 'run budget reached: tokens 1200 ≥ max_tokens 1000']);
    assert.deepEqual(ofType(first.actions, 'launch-queued'), []);
    assert.deepEqual(ofType(first.actions, 'retry'), [], 'a retry is a launch too');
    assert.deepEqual(ofType(first.actions, 'cancel-for-budget'), [], 'hold: running workers finish');
    assert.deepEqual(ofType(first.actions, 'hold-queued'), [{ type: 'hold-queued', paths: ['/run/delegations/q1.json'], reason: 'run budget reached: tokens 1200 ≥ max_tokens 1000' }]);
    assert.equal(first.nextWakeAt !== undefined && first.nextWakeAt <= T0 + 10_000 + 2_000, true, 'held: look again soon (a raised budget raises no file event)');
    const again = plan(records, { now: T0 + 11_000, maxParallel: 5, budget, budgetUsage: spent, memory: { ...emptyMemory(), budgets: new Set(['1000/-']) } });
    assert.deepEqual(ofType(again.actions, 'log-budget-exceeded'), [], 'logged once per budget');
  });

  it('action cancel: every running worker not being reclaimed is cancelled; under budget nothing changes', () => {
    const records = [runningDelegation('r1'), runningDelegation('r2'), queued('q1')];
    const cancelling = plan(records, { now: T0 + 100, budget: { ...budget, action: 'cancel' }, budgetUsage: spent, reclaiming: new Set(['/run/delegations/r2.json']) });
    assert.deepEqual(ofType(cancelling.actions, 'cancel-for-budget').map((a) => a.delegationId), ['r1']);
    const under = plan(records, { now: T0 + 100, budget: { ...budget, action: 'cancel' }, budgetUsage: { ...spent, totalTokens: 999 } });
    assert.deepEqual(under.actions.filter((a) => ['log-budget-exceeded', 'cancel-for-budget', 'hold-queued'].includes(a.type)), []);
    assert.equal(ofType(under.actions, 'launch-queued').length, 1);
  });

  it('launchHold (memory under the floor) holds launches the same way, without a budget event', () => {
    const result = plan([queued('q1')], { now: T0, launchHold: 'free memory 512 MiB under the floor of 1024 MiB (--max-parallel auto)' });
    assert.deepEqual(result.actions.filter((a) => a.type !== 'log-transition').map((a) => a.type), ['hold-queued']);
  });
});
