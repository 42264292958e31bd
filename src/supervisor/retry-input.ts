/** What a retry is delegated with: the failed delegation's own request, as the first launch ran it. */
import type { RetryAction } from '../lifecycle/supervisor-plan.js';
import type { DelegateInput } from '../ops/delegate.js';
import { workerKindOf } from '../ops/worker-kind.js';
import { asString, getKey, isJsonObject, type Json, type JsonObject } from '../util/json.js';

const stringEntries = (value: Json | undefined): Record<string, string> =>
  isJsonObject(value) ? (Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {};

const stringItems = (value: Json | undefined): string[] => (Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : []);

/** The delegate input of a planned retry (`maxParallel`: the supervisor's limit, if any). */
export const retryDelegateInput = (retry: RetryAction, maxParallel: number | undefined): DelegateInput => {
  const { record, of } = retry;
  const requestValue = getKey(record, 'worker_request');
  const request: JsonObject = isJsonObject(requestValue) ? requestValue : {};
  const text = (object: Json, key: string): string | undefined => asString(getKey(object, key));
  const prompt = text(request, 'prompt');
  const cwd = text(request, 'cwd');
  const stdinFile = text(request, 'stdin_file');
  const lane = text(record, 'lane_id');
  const command = getKey(getKey(record, 'worker_launch_evidence'), 'command');
  return {
    kind: workerKindOf(record),
    taskCardId: text(record, 'task_card_id') ?? '',
    title: text(record, 'summary') ?? of,
    ...(prompt === undefined ? {} : { prompt }),
    argv: stringItems(getKey(request, 'argv')),
    ...(Array.isArray(command) ? { command: stringItems(command) } : {}),
    ...(cwd === undefined ? {} : { cwd }),
    ...(stdinFile === undefined ? {} : { stdinFile }),
    ...(lane === undefined ? {} : { lane }),
    env: stringEntries(getKey(request, 'env')),
    ...(isJsonObject(getKey(request, 'launch_env')) ? { launchEnv: stringEntries(getKey(request, 'launch_env')) } : {}),
    idempotencyKey: retry.idempotencyKey,
    retryOf: of,
    retryRoot: retry.root,
    attempt: retry.attempt,
    ...(maxParallel === undefined ? {} : { maxParallel }),
  };
};
