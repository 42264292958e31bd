/** Which event-stream rules apply to a delegation's raw events: captain records name their kind; upstream ones are codex. */
import type { WorkerKind } from '../events/types.js';
import { isWorkerKind } from '../kinds/registry.js';
import { readDelegationFields } from '../store/schemas.js';
import type { JsonObject } from '../util/json.js';

export type { WorkerKind };

export const workerKindOf = (delegation: JsonObject): WorkerKind => {
  const kind = readDelegationFields(delegation).worker_request?.kind;
  return isWorkerKind(kind) ? kind : 'codex';
};
