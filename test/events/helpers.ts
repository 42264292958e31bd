/** Shared fixtures for the events tests: recorded worker streams and temp dirs. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExitInfo, WorkerKind } from '../../src/events/index.js';
import { isWorkerKind } from '../../src/kinds/registry.js';

export const STREAMS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'streams');

export interface RecordedStream {
  name: string;
  kind: WorkerKind;
  file: string;
  text: string;
  stderr: string;
  exit: ExitInfo;
}

/** The kind named by a stream's prefix (`codex-ok` → codex). */
const kindOfStream = (name: string): WorkerKind => {
  const prefix = name.split('-')[0];
  if (!isWorkerKind(prefix)) throw new Error(`recorded stream ${name}: no worker kind named ${String(prefix)}`);
  return prefix;
};

/** A recorded real worker stream (`test/fixtures/streams/<name>.jsonl`) with its exit status and stderr. */
export const loadStream = (name: string): RecordedStream => {
  const file = path.join(STREAMS_DIR, `${name}.jsonl`);
  const meta = JSON.parse(fs.readFileSync(path.join(STREAMS_DIR, `${name}.meta.json`), 'utf8')) as {
    exit_code: number | null;
    signal: string | null;
  };
  return {
    name,
    kind: kindOfStream(name),
    file,
    text: fs.readFileSync(file, 'utf8'),
    stderr: fs.readFileSync(path.join(STREAMS_DIR, `${name}.stderr.txt`), 'utf8'),
    exit: { code: meta.exit_code, signal: meta.signal },
  };
};

/** Every recorded stream name, sorted. */
export const streamNames = (): string[] =>
  fs
    .readdirSync(STREAMS_DIR)
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => name.slice(0, -'.jsonl'.length))
    .sort();

/** A fresh temp dir, removed by the returned cleanup. */
export const makeTempDir = (): { dir: string; cleanup: () => void } => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'captain-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
};

/** A small deterministic PRNG (mulberry32) so chunking tests are reproducible. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export const COMPLETED_AT = '2026-11-24T08:30:00.123Z';
