#!/usr/bin/env node
/**
 * The worker monitor's own small entry point: `node dist/monitor/main.js RUN_DIR DELEGATION_ID
 * GENERATION GRACE_MS`. Kept apart from the CLI so each monitor (one per running worker) loads
 * only what it needs (no CLI parser, no MCP SDK, no TOML).
 */
import { DEFAULT_RUNTIME_CONFIG } from '../config/defaults.js';
import { describeError } from '../errors.js';
import { openRunContext } from '../ops/context.js';
import { runFinalizer, runMonitor } from './monitor.js';

const [runDir, delegationId, generation, graceText, mode] = process.argv.slice(2);
if (runDir === undefined || delegationId === undefined || generation === undefined) {
  process.stderr.write('usage: monitor RUN_DIR DELEGATION_ID GENERATION [GRACE_MS [--finalize]]\n');
  process.exit(2);
}
const grace = Number(graceText ?? DEFAULT_RUNTIME_CONFIG.worker_kill_grace_ms);
try {
  const ctx = openRunContext(runDir, { ...DEFAULT_RUNTIME_CONFIG, worker_kill_grace_ms: Number.isFinite(grace) && grace >= 0 ? grace : DEFAULT_RUNTIME_CONFIG.worker_kill_grace_ms });
  process.exitCode = mode === '--finalize' ? await runFinalizer(ctx, delegationId, generation) : await runMonitor(ctx, delegationId, generation);
} catch (error) {
  process.stderr.write(`captain monitor ${delegationId}: ${describeError(error)}\n`);
  process.exitCode = 1;
}
