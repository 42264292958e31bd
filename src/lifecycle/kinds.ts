/** The worker kinds captain knows. Each has a spec in src/kinds/<kind>/ and a line in src/kinds/registry.ts. */
export const WORKER_KINDS = ['codex', 'claude', 'command', 'gemini'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];
