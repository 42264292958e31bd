/** Claude Code (`claude -p --output-format stream-json --verbose`): argv, binary, env, and its stream rules (src/events/claude.ts). */
import { claudeEvents, claudeVerdict, createClaudeScanner } from '../../events/claude.js';
import { resolveClaudeBin } from './binary.js';
import { countOf, priceTokens, reportedCost, reportedModel } from '../cost.js';
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
  // Claude Code reports its own cost; without one, cache writes are priced as input (a lower bound: they cost 1.25×).
  readCost: ({ usage, workerResult }) =>
    reportedCost(workerResult) ??
    priceTokens(reportedModel(workerResult), {
      input: countOf(usage, 'input_tokens') + countOf(usage, 'cache_creation_input_tokens'),
      cachedInput: countOf(usage, 'cache_read_input_tokens'),
      output: countOf(usage, 'output_tokens'),
    }),
  terminal: { marker: 'result', isTerminalType: (type) => type === 'result' },
  // The same invocation (its extra flags too: tool permissions are per invocation) on the earlier session.
  resumeArgs: ({ sessionId, prompt, extra }) => ['-p', prompt, '--resume', sessionId, '--output-format', 'stream-json', '--verbose', ...extra],
};
