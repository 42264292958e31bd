import { Command } from 'commander';
import { hooksFromOptions, MAX_PARALLEL_HELP, parseMaxParallel, resolveConfigFromOptions, withHookOption, type CommonOptions } from '../common.js';
import { RUNTIME_CONFIG_FLAGS } from '../../config/index.js';

export const mcpCommand = (): Command => {
  const command = new Command('mcp')
    .description('serve captain as an MCP server over stdio (for Codex CLI, Claude Code and other agent captains)')
    .option('--run-dir <dir>', 'the run tools use when a call names none')
    .option('--workspace <dir>', 'create runs under <dir>/.captain/runs and keep every path inside <dir>')
    .option('--config <file>', 'runtime config file (.json or .toml)')
    .option('--no-supervise', 'do not supervise the runs the server touches')
    .option('--max-parallel <n|auto>', `the supervisors the server runs: ${MAX_PARALLEL_HELP}`);
  withHookOption(command);
  for (const flag of RUNTIME_CONFIG_FLAGS) command.option(flag.flags, flag.description);
  return command.action(async (options: CommonOptions & { workspace?: string; supervise: boolean; hook?: string[]; maxParallel?: string }) => {
    const maxParallel = parseMaxParallel(options.maxParallel);
    // Loaded here, not with the command: `captain --help` builds every command and need not load the MCP SDK.
    const { serveMcpStdio } = await import('../../mcp/server.js');
    await serveMcpStdio({
      ...(maxParallel === undefined ? {} : { maxParallel }),
      config: resolveConfigFromOptions(options),
      hooks: hooksFromOptions(options),
      supervise: options.supervise,
      ...(options.runDir === undefined ? {} : { runDir: options.runDir }),
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
    });
  });
};
