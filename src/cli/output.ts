/** How commands print: JSON (stable, for scripts and agents) or text (for people, coloured on a TTY). */
import type { Style } from './render/format.js';

export const styleFor = (stream: NodeJS.WriteStream = process.stdout): Style => ({
  color: Boolean(stream.isTTY) && process.env.NO_COLOR === undefined,
});

export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export const printText = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};
