/**
 * Line-level parsing shared by every worker kind: JSON detection the way upstream's
 * `serde_json::from_str::<Value>(line)` decides it, and the non-JSON-line facts upstream's
 * completion snapshot reports (preview of the first 4 non-JSON lines, transport failure phrases).
 */
import type { Json } from '../util/json.js';
import { asciiLowercase } from './text.js';
import type { ParsedLine } from './types.js';

/** Characters a JSON text can start with (after JSON whitespace). Anything else cannot parse. */
const JSON_START = /^[ \t\n\r]*[{["\-0-9tfn]/;

/** Parses one raw line; `value` is undefined when the line is not a complete JSON text. */
export const parseLine = (text: string): ParsedLine => {
  if (!JSON_START.test(text)) return { text, value: undefined };
  try {
    return { text, value: JSON.parse(text) as Json };
  } catch {
    return { text, value: undefined };
  }
};

/**
 * The phrases upstream treats as transport or fatal failures (`raw_events_indicate_execution_failure`).
 * Upstream matches them anywhere in the lower-cased file, model text included; captain matches them only
 * in non-JSON lines (stderr text, CLI diagnostics), never inside JSON events.
 */
export const FAILURE_PHRASES: readonly string[] = [
  ' failed to connect ',
  ' dns error',
  ' stream disconnected',
  ' transport channel closed',
  ' error sending request',
  ' websocket',
  ' reconnecting...',
  'fatal:',
];

/** How many non-JSON lines upstream's `raw_output_preview` joins. */
const PREVIEW_LINES = 4;

export interface NonJsonScan {
  /** The first 4 trimmed, non-empty non-JSON lines (upstream's preview source). */
  previewLines: string[];
  /** A non-JSON line that is not a cut JSON line contains one of `FAILURE_PHRASES`. */
  failurePhraseSeen: boolean;
  nonJsonLineCount: number;
}

/** Accumulates the non-JSON facts of a stream, line by line. */
export const createNonJsonScanner = (): { add(line: ParsedLine): void; scan(): NonJsonScan } => {
  const previewLines: string[] = [];
  let failurePhraseSeen = false;
  let nonJsonLineCount = 0;
  return {
    add(line) {
      if (line.value !== undefined) return;
      const trimmed = line.text.trim();
      if (trimmed === '') return;
      // Upstream tests the trimmed line for the preview (Rust trims Unicode whitespace JSON does not skip).
      if (trimmed !== line.text && parseLine(trimmed).value !== undefined) return;
      nonJsonLineCount += 1;
      if (previewLines.length < PREVIEW_LINES) previewLines.push(trimmed);
      // A line that opens like a JSON object or array is a cut or mangled event whose text may be
      // model output; phrases inside it say nothing about the transport.
      if (!failurePhraseSeen && !trimmed.startsWith('{') && !trimmed.startsWith('[')) {
        const lower = asciiLowercase(line.text);
        failurePhraseSeen = FAILURE_PHRASES.some((phrase) => lower.includes(phrase));
      }
    },
    scan: () => ({ previewLines: [...previewLines], failurePhraseSeen, nonJsonLineCount }),
  };
};
