/** Which event-stream rules apply to a delegation's raw events: captain records name their kind; upstream ones are codex. */
import { parseWorkerKind, type WorkerKind } from '../lifecycle/kinds.js';
import { readDelegationFields } from '../store/schemas.js';
import type { JsonObject } from '../util/json.js';

export type { WorkerKind };

export const workerKindOf = (delegation: JsonObject): WorkerKind => {
  const kind = readDelegationFields(delegation).worker_request?.kind;
  return parseWorkerKind(kind) ?? 'codex';
};
