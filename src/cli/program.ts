/** The `captain` command line: a thin adapter over the library (src/ops). */
import { Command, CommanderError } from 'commander';
import { EXIT, reportError } from './exit.js';

/**
 * Every command, in help order, loaded on demand: a run of `captain status` imports only what
 * status needs (not the MCP SDK, the supervisor or the fake model server), which keeps start-up short.
 */
const COMMANDS: Array<[string, () => Promise<Command>]> = [
  ['demo', async () => (await import('./commands/demo.js')).demoCommand()],
  ['start', async () => (await import('./commands/runs.js')).startCommand()],
  ['task', async () => (await import('./commands/runs.js')).taskCommand()],
  ['runs', async () => (await import('./commands/runs.js')).runsCommand()],
  ['budget', async () => (await import('./commands/runs.js')).budgetCommand()],
  ['delegate', async () => (await import('./commands/delegate.js')).delegateCommand()],
  ['follow-up', async () => (await import('./commands/delegate.js')).followUpCommand()],
  ['status', async () => (await import('./commands/status.js')).statusCommand()],
  ['top', async () => (await import('./commands/top.js')).topCommand()],
  ['reclaim', async () => (await import('./commands/reclaim.js')).reclaimCommand()],
  ['fan-in', async () => (await import('./commands/fan-in.js')).fanInCommand()],
  ['cancel', async () => (await import('./commands/worker.js')).cancelCommand()],
  ['result', async () => (await import('./commands/worker.js')).resultCommand()],
  ['logs', async () => (await import('./commands/worker.js')).logsCommand()],
  ['diff', async () => (await import('./commands/worktree.js')).diffCommand()],
  ['apply', async () => (await import('./commands/worktree.js')).applyCommand()],
  ['clean', async () => (await import('./commands/worktree.js')).cleanCommand()],
  ['supervise', async () => (await import('./commands/supervise.js')).superviseCommand()],
  ['wait', async () => (await import('./commands/wait.js')).waitCommand()],
  ['mcp', async () => (await import('./commands/mcp.js')).mcpCommand()],
  ['dashboard', async () => (await import('./commands/dashboard.js')).dashboardCommand()],
];

/** The program with every command, or only `only` when it names one (the common, fast path). */
export const buildProgram = async (only?: string): Promise<Command> => {
  const program = new Command('captain')
    .description('Supervise parallel coding-agent workers (Codex CLI, Claude Code, any command) in CCC-compatible run directories.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  // `--version` needs no command; `--help`, `help` and typos (commander's suggestions) need them all.
  const wanted = COMMANDS.some(([name]) => name === only)
    ? COMMANDS.filter(([name]) => name === only)
    : only === '--version' || only === '-V'
      ? []
      : COMMANDS;
  for (const [, load] of wanted) program.addCommand((await load()).exitOverride());
  return program;
};

export const runCli = async (argv: string[]): Promise<number> => {
  try {
    await (await buildProgram(argv[0])).parseAsync(argv, { from: 'user' });
    // A command may set its own exit code (wait: 3 or 4).
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other parse failure is a usage error (commander printed it).
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(error);
  }
};
