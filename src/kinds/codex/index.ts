/** The Codex CLI (`codex exec --json`): argv, binary, env, and its stream rules (src/events/codex.ts). */
import { CODEX_TERMINAL_TYPES, codexEvents, codexVerdict, createCodexScanner } from '../../events/codex.js';
import { resolveCodexBin } from '../../workers/binaries.js';
import type { WorkerKindSpec } from '../spec.js';

const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;

export const codexKind: WorkerKindSpec = {
  name: 'codex',
  title: 'Codex CLI',
  invocation: 'codex exec --json --skip-git-repo-check -C CWD [-s SANDBOX] [FLAGS] -- PROMPT',
  binary: { executable: 'codex', flag: '--codex-bin', packageName: '@openai/codex', resolve: () => resolveCodexBin() },
  sandboxModes: SANDBOX_MODES,
  args: ({ prompt, cwd, sandbox, extra }) => [
    'exec',
    '--json',
    '--skip-git-repo-check',
    '-C',
    cwd,
    ...(sandbox !== undefined ? ['-s', sandbox] : []),
    ...extra,
    // `--` ends the flags, so a prompt that starts with "-" is still the prompt.
    '--',
    prompt,
  ],
  envPrefixes: ['CODEX_', 'OPENAI_', 'RUST_LOG'],
  secretEnv: ['OPENAI_API_KEY', 'CODEX_API_KEY'],
  events: codexEvents,
  scanner: () => {
    const scanner = createCodexScanner();
    return {
      add: (line) => scanner.add(line),
      artifacts: () => {
        const scan = scanner.scan();
        return { threadId: scan.threadId, sessionId: null, lastMessage: scan.lastMessage, usage: scan.usage, costUsd: null, terminal: scan.terminal };
      },
      verdict: (nonJson, exit, rawBytes) => codexVerdict(scanner.scan(), nonJson, exit, rawBytes),
    };
  },
  terminal: { marker: 'turn.', isTerminalType: (type) => CODEX_TERMINAL_TYPES.includes(type) },
  resumeArgs: (sessionId, prompt) => ['exec', 'resume', '--json', '--skip-git-repo-check', sessionId, '--', prompt],
};
