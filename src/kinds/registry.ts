/**
 * Every worker kind captain knows, one line each. The CLI's `--kind` choices and `--<kind>-bin`
 * options, the MCP `kind` enum, help texts and the README's kinds table come from here; the record
 * type makes the compiler check it against `WORKER_KINDS` (src/lifecycle/kinds.ts).
 */
import { WORKER_KINDS, type WorkerKind } from '../lifecycle/kinds.js';
import { claudeKind } from './claude/index.js';
import { codexKind } from './codex/index.js';
import { commandKind } from './command/index.js';
import { geminiKind } from './gemini/index.js';
import { MODEL_PRICES, PRICES_AS_OF } from './prices.js';
import type { KindBinary, WorkerKindSpec } from './spec.js';

export const KIND_SPECS: Readonly<Record<WorkerKind, WorkerKindSpec>> = {
  codex: codexKind,
  claude: claudeKind,
  command: commandKind,
  gemini: geminiKind,
};

/** The spec of `kind`. */
export const kindSpec = (kind: WorkerKind): WorkerKindSpec => KIND_SPECS[kind];

/** Every spec, in `WORKER_KINDS` order. */
export const allKindSpecs = (): WorkerKindSpec[] => WORKER_KINDS.map((kind) => KIND_SPECS[kind]);

/** Whether `value` names a worker kind. */
export const isWorkerKind = (value: unknown): value is WorkerKind => typeof value === 'string' && (WORKER_KINDS as readonly string[]).includes(value);

/** The kinds that start an agent CLI, with its binary. */
export const agentKinds = (): Array<WorkerKindSpec & { binary: KindBinary }> =>
  allKindSpecs().filter((spec): spec is WorkerKindSpec & { binary: KindBinary } => spec.binary !== null);

/** The kinds that take a prompt, as help text lists them ("codex, claude, gemini"). */
export const promptKindNames = (): string => agentKinds().map((spec) => spec.name).join(', ');

/** The README's kinds table (markdown), derived from the registry. */
export const kindsMarkdownTable = (): string => {
  const rows = allKindSpecs().map((spec) => {
    const bin = spec.binary === null ? '—' : `\`${spec.binary.flag}\` (else \`${spec.binary.executable}\` on PATH, else \`${spec.binary.packageName}\` in node_modules)`;
    const terminal = spec.terminal === null ? 'exit code' : `\`${spec.terminal.marker}…\` line`;
    const env = spec.envPrefixes.length === 0 ? '—' : spec.envPrefixes.map((prefix) => `\`${prefix}\``).join(' ');
    return `| \`${spec.name}\` | ${spec.title} | \`${spec.invocation}\` | ${bin} | ${terminal} | ${env} | ${spec.resumeArgs ? 'yes' : 'no'} |`;
  });
  return [
    '| kind | worker | how captain runs it | binary | ends with | env recorded | resume |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
};

/** One line naming every kind for help texts: "codex: Codex CLI, claude: Claude Code, …". */
export const kindsHelp = (): string => allKindSpecs().map((spec) => `${spec.name}: ${spec.title}`).join(', ');

/** The `--sandbox` modes some kind accepts (codex's), for the CLI help and the MCP enum. */
export const sandboxModes = (): [string, ...string[]] => {
  const modes = [...new Set(allKindSpecs().flatMap((spec) => spec.sandboxModes ?? []))];
  if (modes.length === 0) throw new Error('no worker kind declares sandbox modes');
  return modes as [string, ...string[]];
};

/** The README's price table (markdown), derived from src/kinds/prices.ts. */
export const pricesMarkdownTable = (): string => {
  const usd = (value: number): string => `$${value}`;
  return [
    `| model (prices of ${PRICES_AS_OF}, USD per 1M tokens) | input | cached input | output |`,
    '| --- | --- | --- | --- |',
    ...Object.entries(MODEL_PRICES).map(([model, price]) => `| \`${model}\` | ${usd(price.input)} | ${usd(price.cachedInput)} | ${usd(price.output)} |`),
  ].join('\n');
};
