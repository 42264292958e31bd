/**
 * Test helper: runs a real worker CLI (stdin = /dev/null) to completion and returns its parsed
 * JSON-lines stdout, stderr, exit status and timings. Kills the process group on timeout.
 */
import { spawn } from 'node:child_process';
import { isJsonObject, type JsonObject } from '../../src/util/json.js';
import type { WorkerLauncher } from '../../src/fake-model/worker-env.js';

export interface CliRun {
  /** stdout lines that parsed as JSON objects, in order. */
  events: JsonObject[];
  /** stdout lines that did not parse. */
  otherLines: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  elapsedMs: number;
  /** Milliseconds from spawn to each event. */
  eventTimesMs: number[];
}

export interface CliRunOptions {
  launcher: WorkerLauncher;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
}

/** Spawns the CLI and resolves once it exits (rejects on timeout, after killing it). */
export const runCli = (options: CliRunOptions): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(options.launcher.command, [...options.launcher.args, ...options.args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.launcher.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const events: JsonObject[] = [];
    const eventTimesMs: number[] = [];
    const otherLines: string[] = [];
    let stderr = '';
    let pending = '';
    const takeLine = (line: string): void => {
      if (line.trim() === '') return;
      try {
        const value: unknown = JSON.parse(line);
        if (isJsonObject(value)) {
          events.push(value);
          eventTimesMs.push(Date.now() - started);
          return;
        }
      } catch {
        // not JSON: kept below
      }
      otherLines.push(line);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        takeLine(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`${options.launcher.command} ${options.args.join(' ')}: no exit after ${options.timeoutMs} ms; stderr: ${stderr}`));
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      takeLine(pending);
      resolve({ events, otherLines, stderr, code, signal, elapsedMs: Date.now() - started, eventTimesMs });
    });
  });

/** Events whose `type` is `type`. */
export const eventsOfType = (run: CliRun, type: string): JsonObject[] => run.events.filter((event) => event.type === type);
