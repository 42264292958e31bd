/**
 * Any command as a worker: its output has no event structure. Every non-empty line is progress,
 * the run completed iff the process exited with code 0, and the summary is the last non-empty line.
 */
import { signalHeadline, type KindVerdict } from './outcome.js';
import { summarizeForVisibility } from './text.js';
import { isExitUnknown, type ExitInfo, type ParsedLine, type WorkerEvent } from './types.js';
import { COMMAND_SUMMARY_MAX_CHARS } from '../config/defaults.js';

/** The longest summary taken from a command's last output line, in characters. */

/** One `output` event per non-empty line (JSON or not: a command's output is opaque). */
export const commandEvents = ({ text }: ParsedLine): WorkerEvent[] => (text.trim() === '' ? [] : [{ type: 'output', text }]);

export interface CommandScan {
  /** The last non-empty output line, trimmed. */
  lastLine: string | null;
  lineCount: number;
}

/** Accumulates a `CommandScan` line by line. */
export const createCommandScanner = (): { add(line: ParsedLine): void; scan(): CommandScan } => {
  const scan: CommandScan = { lastLine: null, lineCount: 0 };
  return {
    add({ text }) {
      const trimmed = text.trim();
      if (trimmed === '') return;
      scan.lineCount += 1;
      scan.lastLine = trimmed;
    },
    scan: () => ({ ...scan }),
  };
};

/**
 * The command verdict: completed iff exit code 0 without a signal. An unknown exit (the process died
 * unwatched) is a failure with reason `unknown`: a command has no terminal event to go by.
 */
export const commandVerdict = (scan: CommandScan, exit: ExitInfo | null): KindVerdict => {
  const lastLine = scan.lastLine;
  const quotedLast = lastLine !== null ? `: ${summarizeForVisibility(lastLine, COMMAND_SUMMARY_MAX_CHARS)}` : '.';
  const base = {
    threadId: null,
    sessionId: null,
    lastMessage: lastLine,
    usage: null,
    costUsd: null,
    terminal: null,
    extra: { output_lines: scan.lineCount },
    error: null,
    details: [],
  };
  if (exit === null) {
    return { ...base, status: 'failed', reason: 'unknown', headline: `Command ended without a recorded exit status${quotedLast}` };
  }
  if (isExitUnknown(exit)) {
    return { ...base, status: 'failed', reason: 'exit_status_unknown', headline: `Command ended while captain was not watching (its monitor died): exit status unknown${quotedLast}` };
  }
  if (exit.signal !== null) return { ...base, status: 'failed', reason: 'killed_by_signal', headline: signalHeadline(exit.signal) };
  if (exit.code !== 0) {
    return { ...base, status: 'failed', reason: 'execution_failed', headline: `Command exited with code ${String(exit.code)}${quotedLast}` };
  }
  const summary = lastLine !== null ? summarizeForVisibility(lastLine, COMMAND_SUMMARY_MAX_CHARS) : 'Command exited with code 0 without output.';
  return { ...base, status: 'completed', reason: null, headline: summary };
};
