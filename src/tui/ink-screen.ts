/**
 * The full-screen terminal drawn with ink (React for CLIs): the frame's lines (composed by the pure
 * `frame.ts`), padded to a fixed height one line short of the terminal (ink clears the whole screen
 * for output as tall as the terminal), rendered as one `<Text>` each; ink's input handling is
 * turned back into the key strings the app's handler names.
 */
import { createElement, useEffect, useState } from 'react';
import type { Key } from 'ink';
import { splitKeys } from './keys.js';

const ALT_SCREEN_ON = '\u001b[?1049h\u001b[2J\u001b[H';
const ALT_SCREEN_OFF = '\u001b[?1049l';

/** ink's parsed input back to the raw key sequences the app's key handler understands (a chunk of typed text is split into its keys). */
export const rawKeys = (input: string, key: Key): string[] => {
  const single = rawKey(input, key);
  return single === input && input.length > 1 ? splitKeys(input) : [single];
};

const rawKey = (input: string, key: Key): string => {
  if (key.upArrow) return '\u001b[A';
  if (key.downArrow) return '\u001b[B';
  if (key.return) return '\r';
  if (key.escape) return '\u001b';
  if (key.backspace || key.delete) return '\u007f';
  if (key.ctrl && input === 'c') return '\u0003';
  return input;
};

export interface InkScreen {
  /** Shows these lines, padded to `height`. */
  draw(lines: readonly string[], height: number): void;
  /** Unmounts and leaves the alternate screen. */
  close(): void;
}

/**
 * ink, loaded as an interactive renderer. ink reads `CI` / `CONTINUOUS_INTEGRATION` once, when its
 * modules are first evaluated, and in "CI mode" draws nothing until it unmounts: a blank screen. The
 * view is only opened on a TTY (`captain top` prints plain lines otherwise), so a terminal whose
 * shell happens to export `CI=true` must still get the live view: the two variables are hidden
 * while ink's modules load (lazily: ink is its own chunk in the bundle) and put back right after.
 */
const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION'] as const;
const loadInteractiveInk = async (): Promise<typeof import('ink')> => {
  const saved = CI_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return await import('ink');
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
};

export const openInkScreen = async (opts: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream; onKey: (key: string) => void }): Promise<InkScreen> => {
  const { Box, render, Text, useInput } = await loadInteractiveInk();
  let current: readonly string[] = [];
  let update: ((lines: readonly string[]) => void) | undefined;
  const Frame = () => {
    const [lines, setLines] = useState<readonly string[]>(current);
    useEffect(() => {
      update = setLines;
      return () => {
        update = undefined;
      };
    }, []);
    useInput((input, key) => {
      for (const k of rawKeys(input, key)) opts.onKey(k);
    });
    return createElement(Box, { flexDirection: 'column' }, ...lines.map((line, i) => createElement(Text, { key: i, wrap: 'truncate-end' }, line === '' ? ' ' : line)));
  };
  opts.stdout.write(ALT_SCREEN_ON);
  const instance = render(createElement(Frame), { stdin: opts.stdin, stdout: opts.stdout, exitOnCtrlC: false, patchConsole: false });
  return {
    draw(lines, height) {
      const padded = [...lines.slice(0, height)];
      while (padded.length < height) padded.push('');
      current = padded;
      update?.(current);
    },
    close() {
      instance.unmount();
      instance.cleanup();
      opts.stdout.write(ALT_SCREEN_OFF);
    },
  };
};
