/**
 * `captain top` without a terminal: prints the snapshot of every run shown, then (unless `once`)
 * a fresh snapshot each time a run changes (watchRun), until stdout closes or the process is stopped.
 */
import type { Style } from '../cli/render/format.js';
import type { RunContext } from '../ops/context.js';
import { watchRun } from '../store/watch-run.js';
import { loadRunView } from './load.js';
import { renderPlain } from './plain.js';

export interface PlainTopOptions {
  once: boolean;
  style: Style;
  width: number;
  /** Stops following. */
  signal?: AbortSignal;
  write?: (text: string) => void;
}

const snapshot = (contexts: readonly RunContext[], opts: PlainTopOptions): string =>
  contexts.length === 0 ? 'no runs' : contexts.map((ctx) => renderPlain(loadRunView(ctx), opts.style, opts.width)).join('\n\n');

export const runPlainTop = async (contexts: readonly RunContext[], opts: PlainTopOptions): Promise<void> => {
  const write = opts.write ?? ((text: string) => void process.stdout.write(text));
  let last = snapshot(contexts, opts);
  write(`${last}\n`);
  if (opts.once) return;
  const controller = new AbortController();
  opts.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  // A reader that went away (`captain top | head`) ends the loop instead of an EPIPE crash.
  const onStdoutError = (): void => controller.abort();
  if (opts.write === undefined) process.stdout.on('error', onStdoutError);
  const watches = contexts.map((ctx) => watchRun(ctx.runDir, { signal: controller.signal }));
  // Each watch has one reader; a change in any run wakes the printer.
  let wake: () => void = () => undefined;
  let dirty = false;
  const changed = (): void => {
    dirty = true;
    wake();
  };
  const readers = watches.map(async (watch) => {
    for await (const _change of watch) changed();
  });
  try {
    while (!controller.signal.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          controller.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      dirty = false;
      if (controller.signal.aborted) break;
      const next = snapshot(contexts, opts);
      if (next !== last) write(`\n${next}\n`);
      last = next;
    }
  } finally {
    controller.abort();
    for (const w of watches) w.close();
    await Promise.allSettled(readers);
    process.stdout.off('error', onStdoutError);
  }
};
