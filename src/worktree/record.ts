/**
 * The `worktree` object of a delegation record (snake_case, like every captain key):
 * `{path, branch, base_commit, repo, cwd, created_at}` from the launch, then what collection adds
 * (`collected_at, head_commit, snapshot_commit, patch_file, diffstat`), and `removed_at` once
 * `captain clean` removed the directory. Read through zod: a malformed one is treated as absent.
 */
import * as z from 'zod/mini';
import { getKey, isJsonObject, type JsonObject } from '../util/json.js';
import { lazy } from '../util/lazy.js';

/** The schemas, built on first use (see util/lazy.ts). */
const schemas = lazy(() => {
  const commit = z.string().check(z.regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/));
  const FileChangeFields = z.object({ path: z.string(), added: z.number().check(z.int(), z.nonnegative()), removed: z.number().check(z.int(), z.nonnegative()), binary: z.boolean() });
  const DiffstatFields = z.object({
    files: z.number().check(z.int(), z.nonnegative()),
    added: z.number().check(z.int(), z.nonnegative()),
    removed: z.number().check(z.int(), z.nonnegative()),
    per_file: z.array(FileChangeFields),
    per_file_truncated: z.optional(z.boolean()),
  });
  const WorktreeFields = z.looseObject({
    path: z.string().check(z.minLength(1)),
    branch: z.string().check(z.minLength(1)),
    base_commit: commit,
    repo: z.string().check(z.minLength(1)),
    cwd: z.optional(z.string()),
    created_at: z.optional(z.string()),
    collected_at: z.optional(z.string()),
    head_commit: z.optional(commit),
    snapshot_commit: z.optional(z.nullable(commit)),
    patch_file: z.optional(z.string()),
    diffstat: z.optional(DiffstatFields),
    applied_at: z.optional(z.string()),
    removed_at: z.optional(z.string()),
  });
  return { FileChangeFields, DiffstatFields, WorktreeFields };
});

export type WorktreeInfo = z.infer<ReturnType<typeof schemas>['WorktreeFields']>;
export type Diffstat = z.infer<ReturnType<typeof schemas>['DiffstatFields']>;
export type FileChange = z.infer<ReturnType<typeof schemas>['FileChangeFields']>;

/** The record's worktree, or undefined when it has none (or one captain cannot read). */
export const worktreeOf = (record: JsonObject): WorktreeInfo | undefined => {
  const value = getKey(record, 'worktree');
  if (!isJsonObject(value)) return undefined;
  const parsed = schemas().WorktreeFields.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};

/** The record with its `worktree` object merged with `patch` (other keys of it, known or not, kept). */
export const withWorktree = (record: JsonObject, patch: JsonObject): JsonObject => {
  const current = getKey(record, 'worktree');
  return { ...record, worktree: { ...(isJsonObject(current) ? current : {}), ...patch } };
};
