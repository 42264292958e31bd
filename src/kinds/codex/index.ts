/** The Codex CLI (`codex exec --json`): argv, binary, env, and its stream rules (src/events/codex.ts). */
import { CODEX_TERMINAL_TYPES, codexEvents, codexVerdict, createCodexScanner } from '../../events/codex.js';
import { resolveCodexBin } from './binary.js';
import { codexResumeArgs } from './resume.js';
import { asString, getKey, type Json } from '../../util/json.js';
import { countOf, priceTokens, reportedCost, reportedModel } from '../cost.js';
import type { WorkerKindSpec } from '../spec.js';

/**
 * The model a codex worker was told to use on its command line (`-m X`, `--model X`, `--model=X`,
 * `-c model=X`); undefined when its config file decides (captain cannot see which model that is).
 */
export const codexModelFromArgv = (argv: Json | undefined): string | undefined => {
  const args = Array.isArray(argv) ? argv.map((arg) => asString(arg) ?? '') : [];
  let model: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if ((arg === '-m' || arg === '--model') && next !== undefined) model = next;
    else if (arg.startsWith('--model=')) model = arg.slice('--model='.length);
    else if ((arg === '-c' || arg === '--config') && next !== undefined && /^model\s*=/.test(next)) model = next.replace(/^model\s*=\s*/, '').replace(/^["']|["']$/g, '');
  }
  return model?.trim() || undefined;
};

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
  // Codex's input_tokens include the cached ones and output_tokens the reasoning ones (OpenAI's usage).
  readCost: ({ usage, workerResult, request }) =>
    reportedCost(workerResult) ??
    priceTokens(reportedModel(workerResult) ?? codexModelFromArgv(getKey(request, 'argv')), {
      input: Math.max(countOf(usage, 'input_tokens') - countOf(usage, 'cached_input_tokens'), 0),
      cachedInput: countOf(usage, 'cached_input_tokens'),
      output: countOf(usage, 'output_tokens'),
    }),
  terminal: { marker: 'turn.', isTerminalType: (type) => CODEX_TERMINAL_TYPES.includes(type) },
  resumeArgs: codexResumeArgs,
};
