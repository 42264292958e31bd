/**
 * What captain needs to know about one kind of worker, in one place: how to find and start its CLI,
 * which environment it reads, how to read its event stream (typed events, the artifact scanner and
 * verdict, the terminal event), and how to resume a session. A kind is a folder `src/kinds/<kind>/`
 * exporting one `WorkerKindSpec` plus one line in `registry.ts`; the CLI's `--kind` choices and
 * `--<kind>-bin` options, the MCP enum, help texts and the README table are derived from the registry.
 */
import type { KindScanner } from '../events/scanner.js';
import type { ParsedLine, WorkerEvent } from '../events/types.js';
import type { WorkerKind } from '../lifecycle/kinds.js';
import type { JsonObject } from '../util/json.js';
import type { WorkerLauncher } from './node-modules.js';
import type { CostReading } from './prices.js';

/** An agent CLI's executable: its name on PATH, the flag that overrides it, and the node_modules fallback. */
export interface KindBinary {
  /** Looked up on PATH when no `--<kind>-bin` is given (`codex`, `claude`, `gemini`). */
  executable: string;
  /** The CLI flag naming an explicit binary (`--codex-bin`). */
  flag: `--${string}-bin`;
  /** The npm package that ships it (for error messages and the docs). */
  packageName: string;
  /** Finds a copy installed in a node_modules folder above captain. @throws CaptainError IO naming every path tried */
  resolve(): WorkerLauncher;
}

/** What the argv builder gets: the task, the worker's cwd, codex's sandbox, and extra flags passed through. */
export interface KindArgsInput {
  prompt: string;
  cwd: string;
  sandbox: string | undefined;
  /** Flags after `--` on the command line (or `argv` over MCP), passed through to the CLI. */
  extra: string[];
}

/** What the resume argv builder gets: the session to continue, the new prompt, and the first launch's settings. */
export interface KindResumeInput {
  /** Codex's thread id or Claude's / Gemini's session id, from the earlier worker's result. */
  sessionId: string;
  prompt: string;
  /** Codex's sandbox mode of the earlier worker (kept for the follow-up). */
  sandbox: string | undefined;
  /** Extra CLI flags (the earlier worker's, or the follow-up's own); a kind keeps those its resume command accepts. */
  extra: string[];
}

/** How the terminal event of a stream is recognized, reading the file from its end. */
export interface KindTerminal {
  /** Plain text every terminal line contains (lines without it, or a `\u` escape, are not parsed). */
  marker: string;
  isTerminalType(type: string): boolean;
}

/** What `readCost` reads: the record's `worker_result`, its usage object and its `worker_request`. */
export interface CostInput {
  usage: JsonObject;
  workerResult: JsonObject;
  request: JsonObject;
}

export interface WorkerKindSpec {
  name: WorkerKind;
  /** Human name for help and docs ("Codex CLI"). */
  title: string;
  /** How captain runs it, for help and docs (`codex exec --json`). */
  invocation: string;
  /** The CLI that runs the worker; null for `command` (the argv after `--` is the program). */
  binary: KindBinary | null;
  /** The CLI arguments after the launcher's own (agent kinds; never through a shell). */
  args(input: KindArgsInput): string[];
  /** Codex's `--sandbox` modes; other kinds reject `--sandbox`. */
  sandboxModes?: readonly string[];
  /** Environment names (prefixes) the worker reads; recorded at launch so a retry runs the same way (secrets redacted). */
  envPrefixes: readonly string[];
  /** Secret variables the CLI takes its key from (documentation; any name matching KEY/TOKEN/... is redacted anyway). */
  secretEnv: readonly string[];
  /** The typed events of one line. Never throws. */
  events(line: ParsedLine): WorkerEvent[];
  /** A fresh scanner (artifacts so far, and the verdict on a finished stream). */
  scanner(): KindScanner;
  /** The terminal event rule; null when the exit decides (commands). */
  terminal: KindTerminal | null;
  /**
   * What a finished worker's tokens cost, from its record (`worker_result.total_token_usage` is an
   * object): reported by the CLI, priced from src/kinds/prices.ts, or unknown. Absent: no tokens to price.
   */
  readCost?(record: CostInput): CostReading;
  /**
   * The arguments (after the launcher's own) that continue an earlier worker's conversation with a
   * new prompt, when the CLI can resume headless; `captain follow-up` runs them in the earlier cwd.
   * Absent: the kind has no conversation to continue (follow-ups are refused).
   */
  resumeArgs?(input: KindResumeInput): string[];
}
