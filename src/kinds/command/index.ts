/** Any command as a worker: the argv after `--` runs as given; its exit code decides (src/events/command.ts). */
import { commandEvents, commandVerdict, createCommandScanner } from '../../events/command.js';
import type { WorkerKindSpec } from '../spec.js';

export const commandKind: WorkerKindSpec = {
  name: 'command',
  title: 'any command',
  invocation: '-- ARGV... (run as given, never through a shell)',
  binary: null,
  args: ({ extra }) => extra,
  envPrefixes: [],
  secretEnv: [],
  events: commandEvents,
  scanner: () => {
    const scanner = createCommandScanner();
    return {
      add: (line) => scanner.add(line),
      artifacts: () => ({ threadId: null, sessionId: null, lastMessage: scanner.scan().lastLine, usage: null, costUsd: null, terminal: null }),
      verdict: (_nonJson, exit) => commandVerdict(scanner.scan(), exit),
    };
  },
  terminal: null,
};
