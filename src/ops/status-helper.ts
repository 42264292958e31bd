/**
 * A status helper thread (see status-threads.ts): takes slices from the shared counter until none
 * are left, posting each one's result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { processStatusSlice } from './status-slice.js';
import type { HelperData, HelperMessage } from './status-threads.js';

const { job, slices, counter } = workerData as HelperData;
const claims = new Int32Array(counter);
for (let slice = Atomics.add(claims, 0, 1); slice < slices.length; slice = Atomics.add(claims, 0, 1)) {
  const message: HelperMessage = { slice, result: processStatusSlice(job, slices[slice] ?? [], 'json') };
  parentPort?.postMessage(message);
}
parentPort?.postMessage({ done: true } satisfies HelperMessage);
