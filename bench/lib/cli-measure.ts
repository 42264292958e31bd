/**
 * Runs the built CLI as a fresh process and measures it: wall time from spawn to exit (node
 * start-up included), peak RSS, and, from inside, the time spent in JSON.stringify and in writing
 * stdout. The CLI runs in-process under a tiny CommonJS wrapper (written next to the run) that
 * reports `process.resourceUsage().maxRSS` on exit over fd 3, so nothing outside node is needed.
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// CommonJS, so that the wrapper adds no ES module loader of its own to what is measured: a CommonJS
// entry (captain's bin) is required and runs as it does on its own; an ES module one (the floor
// script, an older bin) is imported and builds the loader it builds on its own too.
const WRAPPER = `'use strict';
const { writeSync } = require('node:fs');
const started = performance.now();
const [cli, ...args] = process.argv.slice(2);
let writeMs = 0;
let firstWriteAt;
let stringifyMs = 0;
// Wrap stdout.write only if the CLI touches process.stdout: creating the stream changes fd 1 (a pipe
// becomes non-blocking), which would change what is measured.
const stdoutGetter = Object.getOwnPropertyDescriptor(process, 'stdout').get;
let wrapped = false;
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get() {
  const stream = stdoutGetter.call(process);
  if (!wrapped) {
    wrapped = true;
    const write = stream.write.bind(stream);
    stream.write = (...a) => { const t = performance.now(); firstWriteAt ??= t; try { return write(...a); } finally { writeMs += performance.now() - t; } };
  }
  return stream;
} });
const stringify = JSON.stringify;
JSON.stringify = function (...a) { const t = performance.now(); try { return stringify.apply(this, a); } finally { stringifyMs += performance.now() - t; } };
process.argv = [process.argv[0], cli, ...args];
process.on('exit', (code) => {
  const usage = process.resourceUsage();
  writeSync(3, stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, inProcessMs: performance.now() - started, writeMs: firstWriteAt === undefined ? writeMs : performance.now() - firstWriteAt, stringifyMs, code }));
});
// CommonJS or an ES module, as Node decides for a file: its extension, else the nearest package.json's "type".
const isCommonJs = (file) => {
  if (file.endsWith('.cjs')) return true;
  if (file.endsWith('.mjs')) return false;
  const { dirname, join } = require('node:path');
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return JSON.parse(require('node:fs').readFileSync(join(dir, 'package.json'), 'utf8')).type !== 'module';
    } catch (error) {
      if (error.code !== 'ENOENT' || dirname(dir) === dir) return true;
    }
  }
};
if (isCommonJs(cli)) require(cli);
else import(require('node:url').pathToFileURL(cli).href);
`;

/** Writes the wrapper into `dir`; returns its path. */
export const writeWrapper = (dir: string): string => {
  const path = join(dir, 'measure-cli.cjs');
  writeFileSync(path, WRAPPER);
  return path;
};

export interface CliMeasurement {
  wallMs: number;
  maxRssMb: number;
  /** User + system CPU time of the process (less sensitive to other load than wall time). */
  cpuMs: number;
  /** From the wrapper's start to exit (no node start-up). */
  inProcessMs: number;
  /** Time inside JSON.stringify (the output, plus any record writes). */
  stringifyMs: number;
  /**
   * From the first process.stdout.write to exit: the write and the wait until the pipe drained
   * (stdout writes to a pipe are queued, not synchronous). 0 when the CLI writes fd 1 directly.
   */
  writeMs: number;
  exitCode: number | null;
  stdoutBytes: number;
  /** The first 16 KiB of stdout (the counts come before the worker lists). */
  head: string;
  /** The last 16 KiB of stdout (the reclaim plan and the errors). */
  tail: string;
  stderr: string;
}

const KEEP = 16 * 1024;

/** The first and last KEEP bytes of a file, and its size. */
const headAndTail = (file: string): { head: string; tail: string; size: number } => {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const read = (position: number): string => {
      const buffer = Buffer.alloc(Math.min(KEEP, size));
      const n = readSync(fd, buffer, 0, buffer.length, position);
      return buffer.toString('utf8', 0, n);
    };
    return { head: read(0), tail: read(Math.max(size - KEEP, 0)), size };
  } finally {
    closeSync(fd);
  }
};

/**
 * Spawns `node [nodeArgs] wrapper cli ...args` and waits for it. Its stdout goes to a pipe this
 * process reads, or, with `stdoutFile`, to that file (truncated first; read once the CLI is done),
 * as `> out.json` would: then the time measured is the CLI's own, not also the time this process
 * takes to read 20 MB from a pipe (a Node reader drains a 64 KiB pipe at ~200 MB/s on a 2-core VM,
 * and the writer waits for it: ~60–90 ms on a 10k status).
 */
export const measureCli = (
  wrapper: string,
  cli: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[]; cwd?: string; stdoutFile?: string } = {},
): Promise<CliMeasurement> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const outFd = opts.stdoutFile === undefined ? undefined : openSync(opts.stdoutFile, 'w');
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), wrapper, cli, ...args], {
      stdio: ['ignore', outFd ?? 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    });
    if (outFd !== undefined) closeSync(outFd);
    const { stdout, stderr: stderrStream } = child;
    if ((stdout === null && outFd === undefined) || stderrStream === null) throw new Error('no stdout/stderr pipes');
    let stdoutBytes = 0;
    const headChunks: Buffer[] = [];
    let headBytes = 0;
    let tail = Buffer.alloc(0);
    stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (headBytes < KEEP) {
        headChunks.push(chunk);
        headBytes += chunk.length;
      }
      tail = Buffer.concat([tail, chunk.subarray(Math.max(chunk.length - KEEP, 0))]);
      if (tail.length > KEEP) tail = tail.subarray(tail.length - KEEP);
    });
    let stderr = '';
    stderrStream.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    });
    let report = '';
    const fd3 = child.stdio[3];
    if (fd3 === null || fd3 === undefined || !('on' in fd3)) throw new Error('no fd 3 pipe to the wrapper');
    fd3.on('data', (chunk: Buffer) => {
      report += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      let parsed: { maxRssKb: number; cpuMs: number; inProcessMs: number; writeMs: number; stringifyMs: number };
      try {
        parsed = JSON.parse(report) as typeof parsed;
      } catch {
        reject(new Error(`the wrapper reported nothing (exit ${String(code)}): ${stderr.slice(0, 2000)}`));
        return;
      }
      const written = opts.stdoutFile === undefined ? undefined : headAndTail(opts.stdoutFile);
      resolve({
        wallMs,
        maxRssMb: parsed.maxRssKb / 1024,
        cpuMs: parsed.cpuMs,
        inProcessMs: parsed.inProcessMs,
        stringifyMs: parsed.stringifyMs,
        writeMs: parsed.writeMs,
        exitCode: code,
        stdoutBytes: written?.size ?? stdoutBytes,
        head: written?.head ?? Buffer.concat(headChunks).subarray(0, KEEP).toString('utf8'),
        tail: written?.tail ?? tail.toString('utf8'),
        stderr,
      });
    });
  });

/** The `*_worker_count` fields at the top of a `status --json` output. */
export const workerCounts = (head: string): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const match of head.matchAll(/"(\w+_worker_count)": ?(\d+)/g)) {
    const [, key, value] = match;
    if (key !== undefined && value !== undefined && !(key in counts)) counts[key] = Number(value);
  }
  return counts;
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time per function, biggest first. */
  self: Array<{ name: string; ms: number }>;
  /** Inclusive time per function of captain (dist/) and a few runtime hot spots, biggest first. */
  inclusive: Array<{ name: string; ms: number }>;
}

const frameName = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === '' ? '' : url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${functionName === '' ? '(anonymous)' : functionName}${file === '' ? '' : ` ${file}:${lineNumber + 1}`}`;
};

/** Reads the single `.cpuprofile` in `dir` and sums self and inclusive time per function. */
export const summarizeCpuProfile = (dir: string, top = 15): ProfileSummary => {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`${dir}: no .cpuprofile written`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    totalUs += delta;
    const node = byId.get(id);
    if (node === undefined) return;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + delta);
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current);
      if (frame === undefined) break;
      const key = frameName(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
    }
  });
  const ranked = (map: Map<string, number>, keep: (name: string) => boolean): Array<{ name: string; ms: number }> =>
    [...map]
      .filter(([name]) => keep(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  const interesting = (name: string): boolean => name.includes('dist/') || /^(stringify|parse|readFileSync|writeSync|statSync|realpathSync|\(garbage collector\))/.test(name);
  return { totalMs: totalUs / 1000, self: ranked(self, () => true), inclusive: ranked(inclusive, interesting) };
};
