/** One interface over the per-kind scanners, so the snapshot and the live folder share every rule. */
import type { JsonObject } from '../util/json.js';
import { claudeEvents, claudeVerdict, createClaudeScanner } from './claude.js';
import { codexEvents, codexVerdict, createCodexScanner } from './codex.js';
import { commandEvents, commandVerdict, createCommandScanner } from './command.js';
import type { NonJsonScan } from './lines.js';
import type { KindVerdict } from './outcome.js';
import type { ExitInfo, ParsedLine, TerminalEvent, WorkerEvent, WorkerKind } from './types.js';

/** The artifacts known so far, whatever the kind. */
export interface StreamArtifacts {
  threadId: string | null;
  sessionId: string | null;
  lastMessage: string | null;
  usage: JsonObject | null;
  costUsd: number | null;
  terminal: TerminalEvent | null;
}

export interface KindScanner {
  /** Feeds one line; `events` are its typed events when the caller already has them. */
  add(line: ParsedLine, events?: WorkerEvent[]): void;
  artifacts(): StreamArtifacts;
  verdict(nonJson: NonJsonScan, exit: ExitInfo | null, rawBytes: number | null): KindVerdict;
}

/** The typed events of one parsed line for `kind`. Never throws. */
export const eventsOf = (kind: WorkerKind, line: ParsedLine): WorkerEvent[] => {
  switch (kind) {
    case 'codex':
      return codexEvents(line);
    case 'claude':
      return claudeEvents(line);
    case 'command':
      return commandEvents(line);
  }
};

/** A fresh scanner for `kind`. */
export const createKindScanner = (kind: WorkerKind): KindScanner => {
  switch (kind) {
    case 'codex': {
      const scanner = createCodexScanner();
      return {
        add: (line) => scanner.add(line),
        artifacts: () => {
          const scan = scanner.scan();
          return { threadId: scan.threadId, sessionId: null, lastMessage: scan.lastMessage, usage: scan.usage, costUsd: null, terminal: scan.terminal };
        },
        verdict: (nonJson, exit, rawBytes) => codexVerdict(scanner.scan(), nonJson, exit, rawBytes),
      };
    }
    case 'claude': {
      const scanner = createClaudeScanner();
      return {
        add: (line, events) => scanner.add(line, events),
        artifacts: () => {
          const verdict = claudeVerdict(scanner.scan(), null);
          return {
            threadId: null,
            sessionId: verdict.sessionId,
            lastMessage: verdict.lastMessage,
            usage: verdict.usage,
            costUsd: verdict.costUsd,
            terminal: verdict.terminal,
          };
        },
        verdict: (_nonJson, exit) => claudeVerdict(scanner.scan(), exit),
      };
    }
    case 'command': {
      const scanner = createCommandScanner();
      return {
        add: (line) => scanner.add(line),
        artifacts: () => ({ threadId: null, sessionId: null, lastMessage: scanner.scan().lastLine, usage: null, costUsd: null, terminal: null }),
        verdict: (_nonJson, exit) => commandVerdict(scanner.scan(), exit),
      };
    }
  }
};
