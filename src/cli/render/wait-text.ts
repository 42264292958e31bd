/** The closing report of `captain wait`: the outcome, then each final worker's last message or failure reason. */
import { WAIT_FINAL_MESSAGE_LINES, WAIT_FINAL_MESSAGE_WIDTH } from '../../config/defaults.js';
import type { WaitResult, WaitWorker } from '../../ops/wait.js';
import { oneLine, paintState, truncate, type Style } from './format.js';

/** The first `maxLines` non-blank lines of a message, each cut to `width`; "…" when more follow. */
export const messageExcerpt = (message: string, maxLines = WAIT_FINAL_MESSAGE_LINES, width = WAIT_FINAL_MESSAGE_WIDTH): string[] => {
  const lines = message.split(/\r?\n/).map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  const shown = lines.slice(0, maxLines).map((l) => truncate(l, width));
  if (lines.length > maxLines) shown.push('…');
  return shown;
};

const workerBlock = (w: WaitWorker, style: Style): string[] => {
  const head = `  ${w.delegation_id}  ${paintState(style, w.state)}${w.attempt > 1 ? ` (attempt ${w.attempt})` : ''}${w.title === null ? '' : `  ${truncate(oneLine(w.title), 60)}`}`;
  if (w.failure_reason !== null) return [head, `    reason: ${truncate(oneLine(w.failure_reason), WAIT_FINAL_MESSAGE_WIDTH - 8)}`];
  const message = w.final_message ?? w.summary;
  if (message === null || message.trim() === '') return [head, '    (no final message)'];
  return [head, ...messageExcerpt(message).map((l) => `    │ ${l}`)];
};

/** The text `captain wait` prints once it stops waiting. */
export const renderWaitResult = (result: WaitResult, runDir: string, style: Style): string => {
  const head =
    result.outcome === 'timeout'
      ? `timed out before fan-in (${result.completed} completed, ${result.failed} failed, ${result.cancelled} cancelled so far); next: captain status --run-dir ${runDir}`
      : `fan-in collapsed at ${String(result.fan_in_collapsed_at)}: ${result.completed} completed, ${result.failed} failed, ${result.cancelled} cancelled`;
  return [head, ...result.workers.flatMap((w) => workerBlock(w, style))].join('\n');
};
