/**
 * `captain mcp`: captain's tools for agent captains over stdio, with the MCP SDK. Every tool is
 * a thin call into the library; the server supervises the runs it touches while no
 * `captain supervise` holds them.
 */
import { existsSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { captainDirOf, ensureCaptainGitignore } from '../store/workspace.js';
import { McpRuns, type McpOptions } from './context.js';
import { registerControlTools } from './tools/control.js';
import { registerObserveTools } from './tools/observe.js';
import { registerRunTools } from './tools/runs.js';
import { registerWorkerTools } from './tools/workers.js';
import { CaptainStdioTransport } from './transport.js';

export const createCaptainMcpServer = (options: McpOptions): { server: McpServer; runs: McpRuns } => {
  const server = new McpServer({ name: 'captain', version: '0.1.0' });
  const runs = new McpRuns(options);
  registerRunTools(server, runs);
  registerWorkerTools(server, runs);
  registerObserveTools(server, runs);
  registerControlTools(server, runs);
  return { server, runs };
};

/** Serves on stdin/stdout until the client goes away, then stops the supervisors it started. */
export const serveMcpStdio = async (options: McpOptions): Promise<void> => {
  const { server, runs } = createCaptainMcpServer(options);
  // An existing .captain/ of the workspace gets its .gitignore too (never replacing one).
  if (options.workspace !== undefined && existsSync(captainDirOf(options.workspace))) ensureCaptainGitignore(captainDirOf(options.workspace));
  if (options.runDir !== undefined) await runs.open(options.runDir);
  const transport = new CaptainStdioTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  await closed;
  await runs.close();
  await server.close();
  process.stdin.destroy(); // nothing more is read: let the process end
};
