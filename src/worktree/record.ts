/**
 * The `worktree` object of a delegation record (snake_case, like every captain key):
 * `{path, branch, base_commit, repo, cwd, created_at}` from the launch, then what collection adds
 * (`collected_at, head_commit, snapshot_commit, patch_file, diffstat`), and `removed_at` once
 * `captain clean` removed the directory. Read through zod: a malformed one is treated as absent.
 */
import { z } from 'zod';
import { getKey, isJsonObject, type JsonObject } from '../util/json.js';

const commit = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/);

export const FileChangeFields = z.object({ path: z.string(), added: z.number().int().nonnegative(), removed: z.number().int().nonnegative(), binary: z.boolean() });
export const DiffstatFields = z.object({
  files: z.number().int().nonnegative(),
  added: z.number().int().nonnegative(),
  removed: z.number().int().nonnegative(),
  per_file: z.array(FileChangeFields),
  per_file_truncated: z.boolean().optional(),
});

export const WorktreeFields = z
  .object({
    path: z.string().min(1),
    branch: z.string().min(1),
    base_commit: commit,
    repo: z.string().min(1),
    cwd: z.string().optional(),
    created_at: z.string().optional(),
    collected_at: z.string().optional(),
    head_commit: commit.optional(),
    snapshot_commit: commit.nullable().optional(),
    patch_file: z.string().optional(),
    diffstat: DiffstatFields.optional(),
    applied_at: z.string().optional(),
    removed_at: z.string().optional(),
  })
  .passthrough();

export type WorktreeInfo = z.infer<typeof WorktreeFields>;
export type Diffstat = z.infer<typeof DiffstatFields>;
export type FileChange = z.infer<typeof FileChangeFields>;

/** The record's worktree, or undefined when it has none (or one captain cannot read). */
export const worktreeOf = (record: JsonObject): WorktreeInfo | undefined => {
  const value = getKey(record, 'worktree');
  if (!isJsonObject(value)) return undefined;
  const parsed = WorktreeFields.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};

/** The record with its `worktree` object merged with `patch` (other keys of it, known or not, kept). */
export const withWorktree = (record: JsonObject, patch: JsonObject): JsonObject => {
  const current = getKey(record, 'worktree');
  return { ...record, worktree: { ...(isJsonObject(current) ? current : {}), ...patch } };
};
