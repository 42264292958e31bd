/**
 * Runs the slices of a status over the main thread and helper threads. Slices are claimed one at
 * a time from a shared counter, so whichever thread is free takes the next one (the helpers start
 * late: they boot while the main thread already works). A helper that fails or dies loses
 * nothing: any slice without a result is done again on the main thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { STATUS_MAX_HELPER_THREADS, STATUS_SLICE_FILES, STATUS_THREADS_MIN_FILES } from '../config/defaults.js';
import { processStatusSlice, type StatusJob, type StatusSlice } from './status-slice.js';

export interface StatusThreadsOptions {
  /** Helper threads to use; default: one per core beyond the first (at most 3), none below 2,000 files. */
  helpers?: number;
  /** Files per slice (tests make it small). */
  sliceFiles?: number;
  /** The helper's entry (tests point it at a helper that fails). */
  helperEntry?: URL;
  /** False: the main thread only waits for the helpers, then redoes what they left (tests). */
  mainThreadWorks?: boolean;
}

/** The message a helper posts per slice, and once when it has no more to take. */
export type HelperMessage = { slice: number; result: StatusSlice<string> } | { done: true };

/** What a helper gets at start. */
export interface HelperData {
  job: StatusJob;
  slices: string[][];
  counter: SharedArrayBuffer;
}

/** The helper's module beside this one, as built (run from source, tests pass an entry that loads it). */
const HELPER_ENTRY = new URL('./status-helper.js', import.meta.url);

const defaultHelpers = (files: number): number =>
  files < STATUS_THREADS_MIN_FILES ? 0 : Math.min(Math.max(availableParallelism() - 1, 0), STATUS_MAX_HELPER_THREADS);

export interface StatusSlicesRun {
  /** Each slice's result, workers and targets as JSON text, in listing order. */
  slices: StatusSlice<string>[];
  /** How many slices helper threads did (the rest: the main thread). */
  helperSlices: number;
}

/** Works through the slices of `paths` on the main thread and helper threads. */
export const runStatusSlices = async (job: StatusJob, paths: readonly string[], opts: StatusThreadsOptions = {}): Promise<StatusSlicesRun> => {
  const size = Math.max(1, opts.sliceFiles ?? STATUS_SLICE_FILES);
  const slices: string[][] = [];
  for (let i = 0; i < paths.length; i += size) slices.push(paths.slice(i, i + size));
  const results: (StatusSlice<string> | undefined)[] = Array.from({ length: slices.length }, () => undefined);
  const helpers = Math.min(opts.helpers ?? defaultHelpers(paths.length), slices.length);
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const claim = (): number => Atomics.add(counter, 0, 1);

  let helperSlices = 0;
  const finished: Promise<void>[] = [];
  for (let h = 0; h < helpers; h++) {
    finished.push(
      new Promise<void>((resolve) => {
        let worker: Worker;
        try {
          const data: HelperData = { job, slices, counter: counter.buffer as SharedArrayBuffer };
          worker = new Worker(opts.helperEntry ?? HELPER_ENTRY, { workerData: data });
        } catch {
          resolve(); // No helper: the main thread does its share.
          return;
        }
        worker.on('message', (message: HelperMessage) => {
          if ('done' in message) {
            void worker.terminate();
            return;
          }
          results[message.slice] = message.result;
          helperSlices += 1;
        });
        // Whatever ends it (done, an error, a crash), its missing slices are redone below.
        worker.on('error', () => undefined);
        worker.on('exit', () => resolve());
      }),
    );
  }

  if (opts.mainThreadWorks ?? true) {
    for (let slice = claim(); slice < slices.length; slice = claim()) {
      results[slice] = processStatusSlice(job, slices[slice] ?? [], 'json');
    }
  }
  await Promise.all(finished);
  return { slices: results.map((result, slice) => result ?? processStatusSlice(job, slices[slice] ?? [], 'json')), helperSlices };
};
