/**
 * A live progress line. On a terminal each update goes back to the start of the line and clears
 * what was there (`\r` + erase to end of line, `\x1b[K`), cut to the terminal's width so it never
 * wraps (a wrapped line cannot be overwritten); elsewhere (a pipe, a file) every update is a plain line.
 */
import { truncate } from './format.js';

export const CLEAR_TO_END = '\u001b[K';

/** The bytes to write for one update of the progress line. */
export const progressUpdate = (line: string, terminal: { tty: boolean; columns?: number | undefined }): string => {
  if (!terminal.tty) return `${line}\n`;
  const fitted = terminal.columns !== undefined && terminal.columns > 1 ? truncate(line, terminal.columns - 1) : line;
  return `\r${CLEAR_TO_END}${fitted}`;
};

/** What ends a progress line before other output (a newline on a terminal; nothing elsewhere). */
export const progressEnd = (terminal: { tty: boolean }): string => (terminal.tty ? '\n' : '');
