/** One interface over the per-kind scanners, so the snapshot and the live folder share every rule. */
import type { JsonObject } from '../util/json.js';
import { kindSpec } from '../kinds/registry.js';
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
export const eventsOf = (kind: WorkerKind, line: ParsedLine): WorkerEvent[] => kindSpec(kind).events(line);

/** A fresh scanner for `kind`. */
export const createKindScanner = (kind: WorkerKind): KindScanner => kindSpec(kind).scanner();
