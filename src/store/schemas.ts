/**
 * Typed, lenient views of the record fields captain reads. Like upstream's `Value::as_str` and
 * friends, a field of the wrong type reads as absent (undefined), never as an error; unknown keys
 * pass through untouched (`z.looseObject`, zod/mini: it keeps start-up short). Use these at the boundary; write back the full record
 * object, never a parsed view.
 */
import * as z from 'zod/mini';
import { isJsonObject, type JsonObject } from '../util/json.js';

/** A string, else absent. */
const text = z.catch(z.optional(z.string()), undefined);
/** A non-negative safe integer, else absent (`Value::as_u64`). */
const unsigned = z.catch(z.optional(z.number().check(z.int(), z.nonnegative())), undefined);
/** Any JSON object, kept as the same object (no copy), else absent. */
const object = z.catch(z.optional(z.custom<JsonObject>(isJsonObject)), undefined);
/** An array's string items (other items skipped), else absent. */
const strings = z.catch(
  z.optional(z.pipe(z.array(z.unknown()), z.transform((items) => items.filter((item): item is string => typeof item === 'string')))),
  undefined,
);
/** A nested object read leniently with `shape`, else absent. */
const nested = <Shape extends z.core.$ZodLooseShape>(shape: Shape) => z.catch(z.optional(z.looseObject(shape)), undefined);

/** `worker_lifecycle.process_identity`: what identifies the worker's process beyond its pid. */
export const ProcessIdentityFields = z.looseObject({
  pid: unsigned,
  pgid: unsigned,
  start_ticks: unsigned,
  boot_id: text,
  started_at: text,
});

/** The delegation fields captain reads (`delegations/<id>.json`). */
export const DelegationFields = z.looseObject({
  delegation_id: text,
  task_card_id: text,
  child_agent: nested({ status: text }),
  worker_launch_evidence: nested({ raw_events_file: text }),
  worker_request: nested({ kind: text }),
  worker_lifecycle: nested({
    process_id: unsigned,
    process_started_at: text,
    process_last_seen_at: text,
    process_group_id: unsigned,
    process_identity: z.catch(z.optional(ProcessIdentityFields), undefined),
    monitor_identity: z.catch(z.optional(ProcessIdentityFields), undefined),
    raw_events_size: unsigned,
    generation: text,
  }),
});

/**
 * `worker_lifecycle`'s process fields alone, read as in {@link DelegationFields} but without
 * copying the rest of the record (the refresh reads them for every running worker; a view is
 * never written back).
 */
export const WorkerProcessFields = z.object({
  process_id: unsigned,
  process_started_at: text,
  process_last_seen_at: text,
  process_group_id: unsigned,
  process_identity: z.catch(z.optional(ProcessIdentityFields), undefined),
  monitor_identity: z.catch(z.optional(ProcessIdentityFields), undefined),
});

/** The run.json fields captain reads. */
export const RunFields = z.looseObject({
  run_id: text,
  active_task_card_id: text,
  task_card_ids: strings,
});

/** The task-card fields captain reads (`task-cards/<id>.json`). */
export const TaskCardFields = z.looseObject({
  task_card_id: text,
  title: text,
  status: text,
  parallel_fanout: object,
  worker_result_envelope: object,
  subagent_fan_in: object,
});

export type DelegationView = z.output<typeof DelegationFields>;
export type RunView = z.output<typeof RunFields>;
export type TaskCardView = z.output<typeof TaskCardFields>;
export type ProcessIdentityView = z.output<typeof ProcessIdentityFields>;
export type WorkerProcessView = z.output<typeof WorkerProcessFields>;

const delegationViews = new WeakMap<JsonObject, DelegationView>();

/**
 * The lenient typed view of a delegation record (never throws). Cached per record object: the
 * refresh reads the same record's fields several times (kind, process, monitor). Records are never
 * mutated in place (mutations return new objects), so a cached view stays right.
 */
export const readDelegationFields = (record: JsonObject): DelegationView => {
  let view = delegationViews.get(record);
  if (view === undefined) {
    view = DelegationFields.parse(record);
    delegationViews.set(record, view);
  }
  return view;
};
/** `unsigned` of the schemas above, by hand. */
const unsignedValue = (value: unknown): number | undefined => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined);
/** `text` of the schemas above, by hand. */
const textValue = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** {@link ProcessIdentityFields}' parse, by hand: the same object out (unknown keys kept, a field of the wrong type absent). */
const identityValue = (value: unknown): ProcessIdentityView | undefined => {
  if (!isJsonObject(value)) return undefined;
  const view: Record<string, unknown> = { ...value };
  for (const key of ['pid', 'pgid', 'start_ticks'] as const) {
    if (key in value) view[key] = unsignedValue(value[key]);
  }
  for (const key of ['boot_id', 'started_at'] as const) {
    if (key in value) view[key] = textValue(value[key]);
  }
  return view as ProcessIdentityView;
};

/**
 * The lenient typed view of a delegation's `worker_lifecycle` process fields (never throws):
 * `readDelegationFields(record).worker_lifecycle`'s same fields (`WorkerProcessFields`), undefined
 * when `worker_lifecycle` is not an object. Read by hand rather than by the schema: the refresh
 * reads them for every running worker of every status, where zod's generic parse cost about 14 µs a
 * record on a cold start; test/store/worker-process-fields.test.ts holds the two to the same answers.
 * Not cached: a handful of property reads cost less than a WeakMap entry per record.
 */
export const readWorkerProcessFields = (record: JsonObject): WorkerProcessView | undefined => {
  const lifecycle = record['worker_lifecycle'];
  if (!isJsonObject(lifecycle)) return undefined;
  return {
    process_id: unsignedValue(lifecycle['process_id']),
    process_started_at: textValue(lifecycle['process_started_at']),
    process_last_seen_at: textValue(lifecycle['process_last_seen_at']),
    process_group_id: unsignedValue(lifecycle['process_group_id']),
    process_identity: identityValue(lifecycle['process_identity']),
    monitor_identity: identityValue(lifecycle['monitor_identity']),
  };
};

/** The lenient typed view of run.json (never throws). */
export const readRunFields = (record: JsonObject): RunView => RunFields.parse(record);
/** The lenient typed view of a task card (never throws). */
export const readTaskCardFields = (record: JsonObject): TaskCardView => TaskCardFields.parse(record);
