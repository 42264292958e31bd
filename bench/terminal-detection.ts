/**
 * Terminal-event detection and completion snapshots on a 1 GB raw events file.
 *
 *   node --import tsx bench/terminal-detection.ts [--size-mb 1024] [--runs 20] [--baseline]
 *
 * Writes a file of realistic `codex exec --json` lines into a temp dir (creation timed separately),
 * times `findTerminalEventSync` and `snapshotFromRawEventsFileSync` (median of N runs), prints a
 * markdown table, and deletes the file. `--baseline` also times one upstream-style full scan
 * (every line JSON-parsed) for comparison. Target: both bounded operations at most 20 ms.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTerminalEventSync, snapshotFromRawEventsFileSync } from '../src/events/index.js';

const argValue = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? undefined : Number(process.argv[index + 1]);
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
};

const SIZE_BYTES = argValue('--size-mb', 1024) * 1024 * 1024;
const RUNS = argValue('--runs', 20);
const TARGET_MS = 20;

/** One turn's worth of realistic Codex events: commands with output, reasoning, messages, retries. */
const codexBlock = (index: number): string => {
  const id = (n: number): string => `item_${index * 8 + n}`;
  const output = `src/module_${index}.ts:${index % 300}: export const value${index} = ${index};\n`.repeat(1 + (index % 12));
  const lines: unknown[] = [
    { type: 'item.completed', item: { id: id(0), type: 'reasoning', text: `**Inspecting module ${index}**\n\nChecking exports and call sites before editing.` } },
    { type: 'item.started', item: { id: id(1), type: 'command_execution', command: `/bin/bash -c 'rg -n value${index} src'`, aggregated_output: '', exit_code: null, status: 'in_progress' } },
    { type: 'item.completed', item: { id: id(1), type: 'command_execution', command: `/bin/bash -c 'rg -n value${index} src'`, aggregated_output: output, exit_code: 0, status: 'completed' } },
    { type: 'item.completed', item: { id: id(2), type: 'file_change', changes: [{ path: `src/module_${index}.ts`, kind: 'update' }], status: 'completed' } },
    { type: 'item.completed', item: { id: id(3), type: 'agent_message', text: `Updated module ${index}; running the checks next.` } },
  ];
  if (index % 50 === 0) lines.push({ type: 'error', message: 'Reconnecting... 1/4 (stream disconnected before completion)' });
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
};

const writeRawEvents = (file: string): { bytes: number; ms: number } => {
  const started = performance.now();
  const fd = fs.openSync(file, 'w');
  let bytes = fs.writeSync(fd, '{"type":"thread.started","thread_id":"01a20b13-d864-7fd3-8001-5f48bea5d415"}\n{"type":"turn.started"}\n');
  // One ~32 MB buffer of varied blocks, written repeatedly.
  const blocks: string[] = [];
  let blockBytes = 0;
  for (let i = 0; blockBytes < 32 * 1024 * 1024; i += 1) {
    const block = codexBlock(i);
    blocks.push(block);
    blockBytes += Buffer.byteLength(block);
  }
  const chunk = Buffer.from(blocks.join(''));
  const final = Buffer.from(
    '{"type":"item.completed","item":{"id":"item_final","type":"agent_message","text":"All modules updated; checks pass."}}\n' +
      '{"type":"turn.completed","usage":{"input_tokens":1234567,"cached_input_tokens":1000000,"cache_write_input_tokens":0,"output_tokens":4321,"reasoning_output_tokens":999}}\n',
  );
  while (bytes + chunk.length + final.length <= SIZE_BYTES) bytes += fs.writeSync(fd, chunk);
  const rest = SIZE_BYTES - bytes - final.length;
  if (rest > 0) bytes += fs.writeSync(fd, chunk, 0, chunk.lastIndexOf(0x0a, rest - 1) + 1);
  bytes += fs.writeSync(fd, final);
  fs.closeSync(fd);
  return { bytes, ms: performance.now() - started };
};

const time = (runs: number, fn: () => void): { median: number; min: number; max: number } => {
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const mid = Math.floor(samples.length / 2);
  const median = samples.length % 2 === 1 ? (samples[mid] as number) : ((samples[mid - 1] as number) + (samples[mid] as number)) / 2;
  return { median, min: samples[0] as number, max: samples[samples.length - 1] as number };
};

/** Upstream's approach for comparison: read everything, JSON-parse every line, keep the last terminal type. */
const fullScan = (file: string): string | null => {
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(64 * 1024 * 1024);
  let carry = '';
  let terminal: string | null = null;
  for (let position = 0; ; ) {
    const read = fs.readSync(fd, buffer, 0, buffer.length, position);
    if (read === 0) break;
    position += read;
    const lines = (carry + buffer.toString('utf8', 0, read)).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const type = (JSON.parse(line) as { type?: unknown }).type;
        if (type === 'turn.completed' || type === 'turn.failed') terminal = type;
      } catch {
        // not JSON
      }
    }
  }
  fs.closeSync(fd);
  return terminal;
};

const fmt = (ms: number): string => ms.toFixed(2);

const main = (): void => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'captain-bench-'));
  const file = path.join(dir, 'raw-events.jsonl');
  try {
    const created = writeRawEvents(file);
    const terminal = findTerminalEventSync(file, 'codex');
    const snapshot = snapshotFromRawEventsFileSync(file, 'codex', { code: 0, signal: null }, new Date().toISOString());
    if (terminal?.type !== 'turn.completed' || snapshot.status !== 'completed') {
      throw new Error(`unexpected result: terminal=${terminal?.type ?? 'none'} status=${snapshot.status}`);
    }
    const find = time(RUNS, () => findTerminalEventSync(file, 'codex'));
    const snap = time(RUNS, () => snapshotFromRawEventsFileSync(file, 'codex', { code: 0, signal: null }, '2026-11-24T00:00:00.000Z'));
    const compat = time(RUNS, () => snapshotFromRawEventsFileSync(file, 'codex', null, '2026-11-24T00:00:00.000Z'));

    console.log(`raw events file: ${(created.bytes / 1024 ** 3).toFixed(3)} GiB (${created.bytes} bytes), created in ${fmt(created.ms)} ms`);
    console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${RUNS} runs each, target <= ${TARGET_MS} ms\n`);
    console.log('| operation | median ms | min ms | max ms | within target |');
    console.log('| --- | ---: | ---: | ---: | :---: |');
    const row = (name: string, t: { median: number; min: number; max: number }): void =>
      console.log(`| ${name} | ${fmt(t.median)} | ${fmt(t.min)} | ${fmt(t.max)} | ${t.median <= TARGET_MS ? 'yes' : 'NO'} |`);
    row('findTerminalEventSync (codex)', find);
    row('snapshotFromRawEventsFileSync (codex, exit observed)', snap);
    row('snapshotFromRawEventsFileSync (codex, upstream compat)', compat);
    if (process.argv.includes('--baseline')) {
      const started = performance.now();
      const found = fullScan(file);
      console.log(`| full scan, upstream-style (1 run) | ${fmt(performance.now() - started)} | | | found ${found ?? 'none'} |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

main();
