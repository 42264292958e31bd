/**
 * What every MCP tool shares: the server's defaults (run dir, workspace, config), run resolution
 * with the path policy, the supervisors the server runs for runs nobody else supervises, and the
 * shape of answers (structured content plus a short text; domain failures as `isError`).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RuntimeConfig } from '../config/defaults.js';
import { CaptainError, describeError, isCaptainError } from '../errors.js';
import { openRunContext, type RunContext } from '../ops/context.js';
import { resolveInsideRun } from '../store/paths.js';
import { parseRunRef } from '../store/run-dir.js';
import { superviseUnlessHeld } from '../supervisor/supervise-unless-held.js';
import type { Supervisor, SupervisorOptions } from '../supervisor/supervisor.js';

export interface McpOptions {
  /** The run tools use when a call names none. */
  runDir?: string;
  /** The folder new runs go under (`<workspace>/.captain/runs`) and that paths must stay inside. */
  workspace?: string;
  config: RuntimeConfig;
  /** Supervise the runs the server touches while nobody else does. @default true */
  supervise?: boolean;
  /** Hooks of the supervisors the server starts (every event one logs; a failed pass). */
  onEvent?: SupervisorOptions['onEvent'];
  onError?: SupervisorOptions['onError'];
  /** Hooks (`[[hooks]]`) the server's supervisors fire; see `src/hooks/`. */
  hooks?: SupervisorOptions['hooks'];
  /** The server's supervisors' limit (a number or `auto`); else each run's `max_parallel`. */
  maxParallel?: SupervisorOptions['maxParallel'];
}

export interface ToolAnswer {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export const answer = (structured: object, text: string): ToolAnswer => ({
  content: [{ type: 'text', text }],
  structuredContent: structured as Record<string, unknown>,
});

const HINTS: Partial<Record<CaptainError['code'], string>> = {
  RUN_NOT_FOUND: 'Pass run_dir of an existing run (captain_start_run returns one).',
  NOT_FOUND: 'Use an id from the list above, or captain_status to see the workers.',
  PATH_OUTSIDE_RUN: 'Paths must stay inside the workspace (and files named by records inside their run).',
  USAGE: 'Fix the arguments and call again.',
  LOCK_TIMEOUT: 'Another captain process is busy with that record; call again in a moment.',
};

export const failure = (error: unknown): ToolAnswer => {
  const message = describeError(error);
  const hint = isCaptainError(error) ? HINTS[error.code] : undefined;
  return { isError: true, content: [{ type: 'text', text: hint ? `${message}\n${hint}` : message }] };
};

/** A tool handler whose thrown errors become `isError` answers (domain failures never crash the server). */
export const guarded =
  <A>(handler: (args: A) => Promise<ToolAnswer>) =>
  async (args: A): Promise<ToolAnswer> => {
    try {
      return await handler(args);
    } catch (error) {
      return failure(error);
    }
  };

export class McpRuns {
  readonly supervisors = new Map<string, Supervisor>();
  constructor(readonly options: McpOptions) {}

  /** The folder new runs are created under (checked after symlinks: a linked `.captain` may not lead out of the workspace). */
  runsDir(): string {
    const runs = join(resolve(this.options.workspace ?? process.cwd()), '.captain', 'runs');
    return this.options.workspace === undefined ? runs : this.insideWorkspace(runs, 'the runs folder (.captain/runs)');
  }

  /** Where a worker runs when the call names no cwd: the workspace, when the server has one. */
  defaultCwd(): string | undefined {
    return this.options.workspace === undefined ? undefined : resolve(this.options.workspace);
  }

  /** A path from a tool input, checked (after symlinks) against the workspace when the server has one. */
  insideWorkspace(path: string, field: string): string {
    const workspace = this.options.workspace;
    if (workspace === undefined) return resolve(path);
    try {
      return resolveInsideRun(resolve(workspace), resolve(workspace, path), { field });
    } catch (error) {
      if (!isCaptainError(error) || error.code !== 'PATH_OUTSIDE_RUN') throw error;
      const resolved = typeof error.data?.['resolvedPath'] === 'string' ? error.data['resolvedPath'] : path;
      throw new CaptainError('PATH_OUTSIDE_RUN', `${field} ${JSON.stringify(path)} resolves to ${resolved}, outside the workspace ${resolve(workspace)}; this server only works inside its workspace: pass a path inside it`, {
        cause: error,
        data: { field, path, resolvedPath: resolved, workspace: resolve(workspace) },
      });
    }
  }

  /** Opens the run a call names (or the server default), and starts supervising it if nobody does. */
  async open(runDir: string | undefined): Promise<RunContext> {
    const ref = runDir ?? this.options.runDir;
    if (ref === undefined) throw new CaptainError('USAGE', 'no run_dir given and the server has no default run (start it with --run-dir, or call captain_start_run first)');
    const dir = this.options.workspace === undefined ? parseRunRef(ref) : this.insideWorkspace(parseRunRef(ref), 'run_dir');
    const ctx = openRunContext(dir, this.options.config);
    await this.supervise(ctx);
    return ctx;
  }

  async supervise(ctx: RunContext): Promise<void> {
    if (this.options.supervise === false || this.supervisors.has(ctx.runDir) || !existsSync(ctx.runDir)) return;
    const { onEvent, onError, hooks, maxParallel } = this.options;
    try {
      const supervisor = await superviseUnlessHeld(ctx, {
        command: `captain mcp (pid ${process.pid})`,
        ...(onEvent === undefined ? {} : { onEvent }),
        ...(onError === undefined ? {} : { onError }),
        ...(hooks === undefined ? {} : { hooks }),
        ...(maxParallel === undefined ? {} : { maxParallel }),
      });
      if (supervisor !== null) this.supervisors.set(ctx.runDir, supervisor);
    } catch (error) {
      // The tool call still answers (as before); the failure goes to the hook.
      onError?.(error);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.supervisors.values()].map((s) => s.stop()));
    this.supervisors.clear();
  }
}
