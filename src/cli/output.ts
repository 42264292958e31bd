/** How commands print: JSON (stable, for scripts and agents) or text (for people, coloured on a TTY). */
import { TEXT_TABLE_WIDTH } from '../config/defaults.js';
import { materializeDocument, writeJsonDocument, writeJsonStream } from './json-stream.js';
import type { Style } from './render/format.js';

export const styleFor = (stream: NodeJS.WriteStream = process.stdout): Style => ({
  color: Boolean(stream.isTTY) && process.env.NO_COLOR === undefined,
});

/** Indented on a terminal; compact when piped (a 10k-worker status is half the bytes and time). */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${process.stdout.isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
};

/** Like {@link printJson}, for large payloads: when piped, streamed in batches (see json-stream.ts). */
export const printLargeJson = async (value: unknown): Promise<void> => {
  if (process.stdout.isTTY) return printJson(value);
  await writeJsonStream(value);
};

/** Prints a document carrying pre-serialized entries (`JsonText`): streamed when piped, indented on a terminal. */
export const printJsonDocument = async (document: unknown): Promise<void> => {
  if (process.stdout.isTTY) return printJson(materializeDocument(document));
  await writeJsonDocument(document);
};

export const printText = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

/** Columns a table may use: the terminal's width up to TEXT_TABLE_WIDTH; TEXT_TABLE_WIDTH when piped. */
export const textWidthFor = (stream: NodeJS.WriteStream = process.stdout): number =>
  stream.isTTY && typeof stream.columns === 'number' && stream.columns > 0 ? Math.max(Math.min(stream.columns, TEXT_TABLE_WIDTH), 40) : TEXT_TABLE_WIDTH;
