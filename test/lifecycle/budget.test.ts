/** The run budget decision (pure): limits from run.json, reached or not, hold or cancel, unknown costs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetKey, decideBudget, runBudgetOf } from '../../src/lifecycle/budget.js';

describe('runBudgetOf', () => {
  it('reads max_tokens, max_cost_usd and budget_action; null without a positive limit', () => {
    assert.equal(runBudgetOf({ run_id: 'r' }), null);
    assert.equal(runBudgetOf({ max_tokens: 0, max_cost_usd: -1 }), null);
    assert.equal(runBudgetOf({ max_tokens: '100' }), null, 'a string is not a limit');
    assert.equal(runBudgetOf({ max_tokens: 0.5 }), null, 'under one token is no limit (never reached at 0)');
    assert.equal(runBudgetOf({ max_tokens: 10.7 })?.maxTokens, 10);
    assert.deepEqual(runBudgetOf({ max_tokens: 1000 }), { maxTokens: 1000, maxCostUsd: null, action: 'hold' });
    assert.deepEqual(runBudgetOf({ max_cost_usd: 2.5, budget_action: 'cancel' }), { maxTokens: null, maxCostUsd: 2.5, action: 'cancel' });
    assert.equal(runBudgetOf({ max_tokens: 5, budget_action: 'explode' })?.action, 'hold', 'an unknown action holds');
  });
});

describe('decideBudget', () => {
  const usage = (totalTokens: number, costUsd: number | null, costUnknownWorkers = 0) => ({ totalTokens, costUsd, costUnknownWorkers });

  it('no budget: never reached', () => {
    assert.equal(decideBudget(null, usage(1e9, 1e6)).exceeded, false);
  });

  it('tokens: reached at the limit (not before); hold holds launches, cancel also cancels', () => {
    const hold = { maxTokens: 1000, maxCostUsd: null, action: 'hold' as const };
    assert.deepEqual(decideBudget(hold, usage(999, null)), { exceeded: false, reached: [], holdLaunches: false, cancelRunning: false, costPartlyUnknown: false, reason: null });
    assert.deepEqual(decideBudget(hold, usage(1000, null)), {
      exceeded: true,
      reached: ['max_tokens'],
      holdLaunches: true,
      cancelRunning: false,
      costPartlyUnknown: false,
      reason: 'run budget reached: tokens 1000 ≥ max_tokens 1000',
    });
    const cancel = decideBudget({ ...hold, action: 'cancel' }, usage(1500, null));
    assert.deepEqual([cancel.holdLaunches, cancel.cancelRunning], [true, true]);
  });

  it('cost: only known costs count; unknown ones never reach it but are flagged; tokens still count', () => {
    const budget = { maxTokens: 10_000, maxCostUsd: 1, action: 'hold' as const };
    const known = decideBudget(budget, usage(10, 1.2));
    assert.deepEqual(known.reached, ['max_cost_usd']);
    assert.match(String(known.reason), /cost \$1\.2 ≥ max_cost_usd \$1/);
    const unknown = decideBudget(budget, usage(500, null, 3));
    assert.deepEqual([unknown.exceeded, unknown.costPartlyUnknown], [false, true], 'unknown cost: not reached, flagged');
    const partly = decideBudget(budget, usage(20_000, 0.4, 1));
    assert.deepEqual([partly.reached, partly.costPartlyUnknown], [['max_tokens'], true], 'tokens of unpriced workers still count');
    const both = decideBudget(budget, usage(20_000, 3));
    assert.deepEqual(both.reached, ['max_tokens', 'max_cost_usd']);
  });

  it('budgetKey names the limits (a raised budget is a new one)', () => {
    assert.equal(budgetKey({ maxTokens: 1000, maxCostUsd: null }), '1000/-');
    assert.notEqual(budgetKey({ maxTokens: 1000, maxCostUsd: null }), budgetKey({ maxTokens: 2000, maxCostUsd: null }));
  });
});
