/**
 * The worker flavours captain launches, declared once: Codex CLI, Claude Code, Gemini CLI, or any command.
 * Each has a spec in src/kinds/<kind>/ and a line in src/kinds/registry.ts.
 * Adding a kind is one entry here; every `Record<WorkerKind, ...>` table then fails the type check
 * until it handles the new kind.
 */
export const WORKER_KINDS = ['codex', 'claude', 'command', 'gemini'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

/** A kind read from a record or a flag, or undefined when captain has no such kind. */
export const parseWorkerKind = (text: unknown): WorkerKind | undefined =>
  WORKER_KINDS.find((kind) => kind === text);
