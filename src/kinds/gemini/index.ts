/**
 * The Gemini CLI (`gemini --prompt=PROMPT --output-format stream-json --skip-trust`): argv, binary,
 * env, and its stream rules (events.ts). `--skip-trust` trusts the worker's cwd for this session, as
 * codex gets `--skip-git-repo-check`: headless Gemini refuses to run in an untrusted folder (exit 55).
 * Tool approval stays the CLI's (pass `--approval-mode yolo` after `--` to let it run shell commands).
 */
import type { WorkerKindSpec } from '../spec.js';
import { resolveGeminiBin } from './binary.js';
import { createGeminiScanner, geminiEvents, geminiVerdict } from './events.js';

export { resolveGeminiBin } from './binary.js';
export { createGeminiScanner, geminiEvents, geminiUsageOf, geminiVerdict, type GeminiScan } from './events.js';

export const geminiKind: WorkerKindSpec = {
  name: 'gemini',
  title: 'Gemini CLI',
  invocation: 'gemini --prompt=PROMPT --output-format stream-json --skip-trust [FLAGS]',
  binary: { executable: 'gemini', flag: '--gemini-bin', packageName: '@google/gemini-cli', resolve: () => resolveGeminiBin() },
  // `--prompt=TEXT` in one argument, so a prompt that starts with "-" is not read as a flag.
  args: ({ prompt, extra }) => [`--prompt=${prompt}`, '--output-format', 'stream-json', '--skip-trust', ...extra],
  envPrefixes: ['GEMINI_', 'GOOGLE_'],
  secretEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  events: geminiEvents,
  scanner: () => {
    const scanner = createGeminiScanner();
    return {
      add: (line, events) => scanner.add(line, events),
      artifacts: () => {
        const verdict = geminiVerdict(scanner.scan(), null);
        return { threadId: null, sessionId: verdict.sessionId, lastMessage: verdict.lastMessage, usage: verdict.usage, costUsd: null, terminal: verdict.terminal };
      },
      verdict: (_nonJson, exit) => geminiVerdict(scanner.scan(), exit),
    };
  },
  terminal: { marker: 'result', isTerminalType: (type) => type === 'result' },
  resumeArgs: (sessionId, prompt) => [`--prompt=${prompt}`, '--resume', sessionId, '--output-format', 'stream-json', '--skip-trust'],
};
