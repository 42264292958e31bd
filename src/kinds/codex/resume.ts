/**
 * `codex exec resume`: continues a thread with a new prompt. It takes fewer flags than `codex exec`
 * (no `-C`, no `-s`): the sandbox goes in as `-c sandbox_mode="..."`, the cwd is the process's own,
 * and of the earlier worker's extra flags only those `exec resume` accepts are kept (from
 * `codex exec resume --help`, codex-cli 0.169).
 */
import type { KindResumeInput } from '../spec.js';

/** `exec resume` flags that take a value. */
const WITH_VALUE = new Set(['-c', '--config', '-m', '--model', '--enable', '--disable', '--output-schema']);
/** `exec resume` switches. */
const SWITCHES = new Set(['--dangerously-bypass-approvals-and-sandbox', '--ignore-user-config', '--ignore-rules', '--strict-config']);

/** The flags of `extra` that `codex exec resume` accepts (a `-s MODE` becomes `-c sandbox_mode=...`). */
export const codexResumeFlags = (extra: string[]): string[] => {
  const kept: string[] = [];
  for (let i = 0; i < extra.length; i += 1) {
    const arg = extra[i] as string;
    const next = extra[i + 1];
    if ((arg === '-s' || arg === '--sandbox') && next !== undefined) {
      kept.push('-c', `sandbox_mode=${JSON.stringify(next)}`);
      i += 1;
    } else if (WITH_VALUE.has(arg) && next !== undefined) {
      kept.push(arg, next);
      i += 1;
    } else if (SWITCHES.has(arg) || [...WITH_VALUE].some((flag) => flag.startsWith('--') && arg.startsWith(`${flag}=`))) {
      kept.push(arg);
    }
  }
  return kept;
};

export const codexResumeArgs = ({ sessionId, prompt, sandbox, extra }: KindResumeInput): string[] => [
  'exec',
  'resume',
  '--json',
  '--skip-git-repo-check',
  ...(sandbox === undefined ? [] : ['-c', `sandbox_mode=${JSON.stringify(sandbox)}`]),
  ...codexResumeFlags(extra),
  // `--` ends the flags: a prompt that starts with "-" is still the prompt.
  '--',
  sessionId,
  prompt,
];
