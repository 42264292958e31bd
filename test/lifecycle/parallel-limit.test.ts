/** `--max-parallel auto`: the pure rule with fixed machines, and the /proc/meminfo parser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { autoParallelLimit, DEFAULT_AUTO_PARALLEL_RULE } from '../../src/lifecycle/parallel-limit.js';
import { parseMemAvailable, readMemAvailable } from '../../src/process/meminfo.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const rule = { workersPerCore: 2, memoryFloorBytes: 1 * GiB, workerMemoryBytes: 512 * MiB };

describe('autoParallelLimit', () => {
  it('plenty of memory: the cores decide (2 per core)', () => {
    assert.deepEqual(autoParallelLimit({ cores: 2, memAvailableBytes: 24 * GiB }, rule), { limit: 4, hold: false, reason: null });
    assert.equal(autoParallelLimit({ cores: 8, memAvailableBytes: 64 * GiB }, rule).limit, 16);
  });

  it('little memory: as many as fit above the floor (at least 1)', () => {
    // 3 GiB free, floor 1 GiB: 4 workers of 512 MiB fit.
    assert.deepEqual(autoParallelLimit({ cores: 16, memAvailableBytes: 3 * GiB }, rule), { limit: 4, hold: false, reason: null });
    assert.equal(autoParallelLimit({ cores: 16, memAvailableBytes: 1.4 * GiB }, rule).limit, 1);
  });

  it('under the floor: hold, saying why', () => {
    const decision = autoParallelLimit({ cores: 4, memAvailableBytes: 900 * MiB }, rule);
    assert.equal(decision.hold, true);
    assert.equal(decision.reason, 'free memory 900 MiB under the floor of 1024 MiB (--max-parallel auto)');
  });

  it('no /proc/meminfo: the cores alone; the defaults are the documented ones', () => {
    assert.deepEqual(autoParallelLimit({ cores: 3, memAvailableBytes: null }, rule), { limit: 6, hold: false, reason: null });
    assert.deepEqual(DEFAULT_AUTO_PARALLEL_RULE, rule);
  });
});

describe('meminfo', () => {
  it('parses MemAvailable in kB into bytes; null without it', () => {
    assert.equal(parseMemAvailable('MemTotal:       24684000 kB\nMemFree:        1 kB\nMemAvailable:   24107008 kB\n'), 24107008 * 1024);
    assert.equal(parseMemAvailable('MemTotal: 1 kB\n'), null);
    assert.equal(readMemAvailable('/nonexistent/meminfo'), null);
    const real = readMemAvailable();
    assert.ok(real === null || real > 0);
  });
});
