import { Command } from 'commander';
import { runMonitor } from '../../monitor/monitor.js';
import { contextFromOptions, withRunOptions, type CommonOptions } from '../common.js';

/** Internal: the detached per-worker monitor that `delegate` starts. Not for people. */
export const monitorCommand = (): Command =>
  withRunOptions(new Command('monitor'))
    .description('(internal) run the worker of one delegation and finalize its record when it exits')
    .requiredOption('--delegation <id>', 'the delegation id')
    .requiredOption('--generation <token>', 'the launch token the record must still hold')
    .action(async (options: CommonOptions & { delegation: string; generation: string }) => {
      await runMonitor(contextFromOptions(options), options.delegation, options.generation);
    });
