import { asString, getKey, type Json, type JsonObject } from '../util/json.js';

/**
 * The seed's `delegation_work_kind`: the first of `work_kind`, `worker_request.work_kind`,
 * `worker_launch_evidence.work_kind` that is PRESENT decides (even when it is not a string,
 * which then reads as "worker"); blank reads as "worker".
 */
export const delegationWorkKind = (delegation: JsonObject): string => {
  const candidates: Array<Json | undefined> = [
    getKey(delegation, 'work_kind'),
    getKey(getKey(delegation, 'worker_request'), 'work_kind'),
    getKey(getKey(delegation, 'worker_launch_evidence'), 'work_kind'),
  ];
  const first = candidates.find((value) => value !== undefined);
  const text = asString(first)?.trim();
  return text ? text : 'worker';
};
