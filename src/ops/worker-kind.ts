/** Which event-stream rules apply to a delegation's raw events: captain records name their kind; upstream ones are codex. */
import { asString, getKey, type JsonObject } from '../util/json.js';

export type WorkerKind = 'codex' | 'claude' | 'command';
const KINDS: readonly string[] = ['codex', 'claude', 'command'];

export const workerKindOf = (delegation: JsonObject): WorkerKind => {
  const kind = asString(getKey(getKey(delegation, 'worker_request'), 'kind'));
  return kind !== undefined && KINDS.includes(kind) ? (kind as WorkerKind) : 'codex';
};
