/** Claude Code (`claude -p --output-format stream-json --verbose`): argv, binary, env, and its stream rules (src/events/claude.ts). */
import { claudeEvents, claudeVerdict, createClaudeScanner } from '../../events/claude.js';
import { resolveClaudeBin } from '../../workers/binaries.js';
import type { WorkerKindSpec } from '../spec.js';

export const claudeKind: WorkerKindSpec = {
  name: 'claude',
  title: 'Claude Code',
  invocation: 'claude -p PROMPT --output-format stream-json --verbose [FLAGS]',
  binary: { executable: 'claude', flag: '--claude-bin', packageName: '@anthropic-ai/claude-code', resolve: () => resolveClaudeBin() },
  // The prompt goes right after -p: flags like --allowedTools take lists and would eat it.
  args: ({ prompt, extra }) => ['-p', prompt, '--output-format', 'stream-json', '--verbose', ...extra],
  envPrefixes: ['ANTHROPIC_', 'CLAUDE_', 'DISABLE_', 'API_TIMEOUT_MS'],
  secretEnv: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'],
  events: claudeEvents,
  scanner: () => {
    const scanner = createClaudeScanner();
    return {
      add: (line, events) => scanner.add(line, events),
      artifacts: () => {
        const verdict = claudeVerdict(scanner.scan(), null);
        return {
          threadId: null,
          sessionId: verdict.sessionId,
          lastMessage: verdict.lastMessage,
          usage: verdict.usage,
          costUsd: verdict.costUsd,
          terminal: verdict.terminal,
        };
      },
      verdict: (_nonJson, exit) => claudeVerdict(scanner.scan(), exit),
    };
  },
  terminal: { marker: 'result', isTerminalType: (type) => type === 'result' },
  resumeArgs: (sessionId, prompt) => ['-p', prompt, '--resume', sessionId, '--output-format', 'stream-json', '--verbose'],
};
