/**
 * Hands refreshed records to the refresh writer thread (refresh-writer.ts) in batches. The thread
 * starts with the first batch (a status with nothing to write never starts it). If it cannot start
 * or dies, every batch it has not answered comes back `changed`, so the caller redoes those records
 * itself: nothing is lost, only the overlap.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RefreshWrite, RefreshWriteOutcome } from './refresh-writer.js';
import { packageRoot } from './self-command.js';

export type { RefreshWrite, RefreshWriteOutcome } from './refresh-writer.js';

export interface RefreshWriter {
  /** The outcome of each write, in order. */
  submit(writes: RefreshWrite[]): Promise<RefreshWriteOutcome[]>;
  /** Stops the thread once every submitted batch is answered. */
  close(): Promise<void>;
}

/** The built writer module (the bundled CLI and the library both use the tsc output in dist/ops). */
const writerEntry = (): string | undefined => {
  try {
    const path = join(packageRoot(), 'dist', 'ops', 'refresh-writer.js');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
};

export const startRefreshWriter = (entry: string | URL | undefined = writerEntry()): RefreshWriter => {
  let worker: Worker | undefined;
  let broken = entry === undefined;
  let nextId = 0;
  const waiting = new Map<number, { writes: RefreshWrite[]; resolve: (outcomes: RefreshWriteOutcome[]) => void }>();
  const giveBack = (): void => {
    broken = true;
    for (const [id, batch] of waiting) {
      waiting.delete(id);
      batch.resolve(batch.writes.map(() => ({ outcome: 'changed' as const })));
    }
  };
  const started = (): Worker | undefined => {
    if (worker !== undefined || broken || entry === undefined) return worker;
    try {
      worker = new Worker(entry);
    } catch {
      giveBack();
      return undefined;
    }
    worker.on('message', ({ id, outcomes }: { id: number; outcomes: RefreshWriteOutcome[] }) => {
      waiting.get(id)?.resolve(outcomes);
      waiting.delete(id);
    });
    worker.on('error', giveBack);
    worker.on('exit', giveBack);
    return worker;
  };
  return {
    submit: (writes) =>
      new Promise((resolve) => {
        const thread = writes.length === 0 ? undefined : started();
        if (thread === undefined) {
          resolve(writes.map(() => ({ outcome: 'changed' })));
          return;
        }
        const id = nextId++;
        waiting.set(id, { writes, resolve });
        thread.postMessage({ id, writes });
      }),
    close: async () => {
      if (worker === undefined) return;
      const thread = worker;
      worker = undefined;
      broken = true;
      await thread.terminate();
    },
  };
};
