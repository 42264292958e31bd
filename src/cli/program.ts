/** The `captain` command line: a thin adapter over the library (src/ops). */
import { Command, CommanderError } from 'commander';
import { delegateCommand } from './commands/delegate.js';
import { demoCommand } from './commands/demo.js';
import { superviseCommand } from './commands/supervise.js';
import { waitCommand } from './commands/wait.js';
import { fanInCommand } from './commands/fan-in.js';
import { mcpCommand } from './commands/mcp.js';
import { reclaimCommand } from './commands/reclaim.js';
import { runsCommand, startCommand, taskCommand } from './commands/runs.js';
import { statusCommand } from './commands/status.js';
import { cancelCommand, logsCommand, resultCommand } from './commands/worker.js';
import { EXIT, reportError } from './exit.js';

export const buildProgram = (): Command => {
  const program = new Command('captain')
    .description('Supervise parallel coding-agent workers (Codex CLI, Claude Code, any command) in CCC-compatible run directories.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  for (const command of [demoCommand(), startCommand(), taskCommand(), runsCommand(), delegateCommand(), statusCommand(), reclaimCommand(), fanInCommand(), cancelCommand(), resultCommand(), logsCommand(), superviseCommand(), waitCommand(), mcpCommand()]) {
    program.addCommand(command.exitOverride());
  }
  return program;
};

export const runCli = async (argv: string[]): Promise<number> => {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
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
