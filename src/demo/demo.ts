/**
 * `captain demo`: the README's first command. A real run on the embedded default store with real
 * Codex CLI workers against captain's own fake model server on 127.0.0.1 (no API key, no network):
 * one worker succeeds, one runs slow shell steps but keeps making progress, one hits a model
 * error (and is retried once), one hangs and is reclaimed. The supervisor runs with short
 * thresholds; the demo shows live progress and ends with the fan-in summary.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_RUNTIME_CONFIG, type RuntimeConfig } from '../config/defaults.js';
import { startFakeModelServer } from '../fake-model/server.js';
import { codexEnv, resolveCodexBin, writeCodexHome, type WorkerLauncher } from '../fake-model/worker-env.js';
import { launcherFor } from '../workers/adapters.js';
import { isSecretName } from '../workers/launch-env.js';
import { openRunContext } from '../ops/context.js';
import { delegate } from '../ops/delegate.js';
import { createRun, DEFAULT_RUNS_DIR } from '../ops/runs.js';
import { getStatus } from '../ops/status.js';
import { findDelegation, getWorkerResult } from '../ops/worker.js';
import { readRunEvents } from '../store/events-log.js';
import { progressUpdate } from '../cli/render/progress.js';
import { renderCountsLine } from '../cli/render/status-text.js';
import { startSupervisor } from '../supervisor/index.js';
import { asString, getKey, type JsonObject } from '../util/json.js';

export interface DemoOptions {
  /** Where runs live (default `.captain/runs` under the working directory). */
  runsDir?: string;
  /** Print a line per change instead of redrawing (non-TTY output). */
  out?: NodeJS.WriteStream;
  /** Give up after this long. @default 60000 */
  timeoutMs?: number;
}

/** Short thresholds so the whole story fits in well under a minute. */
export const DEMO_CONFIG: RuntimeConfig = {
  ...DEFAULT_RUNTIME_CONFIG,
  worker_stuck_after_ms: 5_000,
  worker_quiet_after_ms: 2_000,
  worker_kill_grace_ms: 1_000,
  worker_max_retries_per_phase: 1,
  worker_retry_backoff_ms: 500,
};

const WORKERS: Array<{ title: string; prompt: string }> = [
  { title: 'succeeds', prompt: 'Summarize what captain does in one line. [[fake:ok:captain supervises parallel coding agents and never loses a result.]]' },
  { title: 'slow steps, keeps making progress', prompt: 'Run the four checks one by one. [[fake:steps:4:1.5]]' },
  { title: 'model error', prompt: 'Refactor the parser. [[fake:error:400:the model rejected the request: context too long]]' },
  { title: 'hangs, gets reclaimed', prompt: 'Wait for the model forever. [[fake:hang]]' },
];


const progressLine = (visibility: JsonObject | null, elapsedMs: number): string =>
  `[${(elapsedMs / 1000).toFixed(1).padStart(5)} s] ${renderCountsLine(visibility ?? undefined)}`;

/** The project's own Codex CLI (its native binary: one process per worker) when installed with dev dependencies, else `codex` on PATH. */
const demoCodexLauncher = (): WorkerLauncher => {
  try {
    return resolveCodexBin();
  } catch {
    return launcherFor('codex', undefined);
  }
};

export const runDemo = async (options: DemoOptions = {}): Promise<number> => {
  const out = options.out ?? process.stdout;
  const say = (line: string): void => void out.write(`${line}\n`);
  const started = Date.now();
  // Fails fast (before any server or run exists) when no Codex CLI can be found, saying what to do.
  const launcher = demoCodexLauncher();
  const server = await startFakeModelServer();
  const runsDir = resolve(options.runsDir ?? DEFAULT_RUNS_DIR);
  mkdirSync(runsDir, { recursive: true });
  const run = createRun({ baseDir: runsDir, title: 'captain demo: four real Codex CLI workers' });
  const codexHome = join(run.run_dir, 'demo-codex-home');
  writeCodexHome(codexHome, server.url);
  say(`fake model server: ${server.url} (loopback only, no API key)`);
  say(`run: ${run.run_dir}`);
  const ctx = openRunContext(run.run_dir, DEMO_CONFIG);
  // Secrets passed with `env` are never written to disk; the supervisor that retries a worker takes
  // them from its own environment, as a real one would have OPENAI_API_KEY. This one runs here.
  for (const [name, value] of Object.entries(codexEnv(codexHome))) if (isSecretName(name)) process.env[name] ??= value;
  const supervisor = await startSupervisor(ctx, {});
  try {
    for (const worker of WORKERS) {
      const result = await delegate(ctx, {
        kind: 'codex',
        title: worker.title,
        prompt: worker.prompt,
        sandbox: 'read-only',
        cwd: run.run_dir,
        launcher,
        env: codexEnv(codexHome),
      });
      say(`delegated ${result.delegation_id}: ${worker.title}`);
    }
    let last = '';
    const deadline = started + (options.timeoutMs ?? 60_000);
    for (;;) {
      const status = getStatus(ctx, { taskCardId: run.task_card_id, refresh: 'observe' });
      const visibility = status.worker_visibility;
      const workers = (getKey(visibility ?? {}, 'workers') as JsonObject[] | undefined) ?? [];
      const collapsed = workers.length > 0 && workers.every((w) => {
        const result = getWorkerResult(ctx, String(w.delegation_id));
        return result.fan_in_collapsed_at !== null;
      });
      const line = progressLine(visibility, Date.now() - started);
      if (out.isTTY) out.write(progressUpdate(line, { tty: true, columns: out.columns }));
      else if (line.slice(10) !== last) say(line);
      last = line.slice(10);
      if (collapsed) break;
      if (Date.now() > deadline) {
        say('\ndemo: timed out before fan-in; inspect with captain status');
        return 4;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (out.isTTY) out.write('\n');
    const status = getStatus(ctx, { taskCardId: run.task_card_id, refresh: 'observe' });
    const workers = (getKey(status.worker_visibility ?? {}, 'workers') as JsonObject[] | undefined) ?? [];
    say('\nworkers:');
    for (const w of workers) {
      const id = String(w.delegation_id);
      const result = getWorkerResult(ctx, id);
      const { record } = findDelegation(ctx, id);
      const retryOf = asString(getKey(getKey(record, 'worker_request'), 'retry_of'));
      const lifecycle = getKey(w, 'worker_lifecycle');
      const phase = asString(getKey(lifecycle, 'reclaim_state')) === 'reclaimed' ? 'reclaimed' : (asString(getKey(lifecycle, 'state')) ?? '?');
      const label = `${String(w.summary ?? '')}${retryOf ? ' (retry)' : ''}`;
      const outcome = result.status === 'completed' ? `"${String(result.final_message ?? '').slice(0, 80)}"` : String(result.summary ?? '').slice(0, 100);
      say(`  ${id}  ${phase.padEnd(9)}  ${label.padEnd(42)} ${outcome}`);
    }
    const fanIn = readRunEvents(ctx.runDir, 0, { limit: 100_000 }).events.filter((e) => e.event === 'fan_in_collapsed').pop();
    say(`\nfan-in (${String(fanIn?.collapsed_at ?? '?')}): ${String(fanIn?.summary ?? '').trim()}`);
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s. Look around:`);
    say(`  captain status --run-dir ${run.run_dir}`);
    say(`  captain logs --run-dir ${run.run_dir} --delegation <id>`);
    say(`  cat ${join(run.run_dir, 'events.jsonl')}`);
    return 0;
  } finally {
    await supervisor.stop();
    await server.close();
  }
};
