/**
 * The Gemini CLI (`gemini --prompt=PROMPT --output-format stream-json --skip-trust`): argv, binary,
 * env, and its stream rules (events.ts). `--skip-trust` trusts the worker's cwd for this session, as
 * codex gets `--skip-git-repo-check`: headless Gemini refuses to run in an untrusted folder (exit 55).
 * Tool approval stays the CLI's (pass `--approval-mode yolo` after `--` to let it run shell commands).
 */
import { getKey, isJsonObject, type Json } from '../../util/json.js';
import { countOf, priceTokens, reportedCost, reportedModel } from '../cost.js';
import type { BillableTokens, CostReading } from '../prices.js';
import type { WorkerKindSpec } from '../spec.js';
import { resolveGeminiBin } from './binary.js';
import { createGeminiScanner, geminiEvents, geminiVerdict } from './events.js';

export { resolveGeminiBin } from './binary.js';
export { createGeminiScanner, geminiEvents, geminiUsageOf, geminiVerdict, type GeminiScan } from './events.js';

const billable = (counts: Json | undefined): BillableTokens => ({
  input: countOf(counts, 'input_tokens'),
  cachedInput: countOf(counts, 'cached_input_tokens'),
  // Thoughts are billed as output; they are in the total only.
  output: countOf(counts, 'output_tokens') + countOf(counts, 'reasoning_output_tokens'),
});

/** Each model of `usage.models` priced on its own; unknown if any model is not listed (never a partial sum). */
const geminiCost = (usage: Json, model: string | undefined): CostReading => {
  const models = getKey(usage, 'models');
  const entries = isJsonObject(models) ? Object.entries(models) : [];
  if (entries.length === 0) return priceTokens(model, billable(usage));
  let usd = 0;
  const unknown: string[] = [];
  for (const [name, counts] of entries) {
    const reading = priceTokens(name, billable(counts));
    if (reading.source === 'unknown') unknown.push(...reading.models);
    else usd += reading.usd;
  }
  return unknown.length > 0 ? { source: 'unknown', models: unknown } : { source: 'priced', usd };
};

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
  readCost: ({ usage, workerResult }) => reportedCost(workerResult) ?? geminiCost(usage, reportedModel(workerResult)),
  terminal: { marker: 'result', isTerminalType: (type) => type === 'result' },
  resumeArgs: ({ sessionId, prompt, extra }) => [`--prompt=${prompt}`, '--resume', sessionId, '--output-format', 'stream-json', '--skip-trust', ...extra],
};
