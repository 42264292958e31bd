/**
 * The README's tables derived from the code (the kind registry, the price table, the runtime config
 * keys and their defaults), between `<!-- NAME:start -->` and `<!-- NAME:end -->` markers, so the
 * docs cannot drift from the one place each list is declared.
 */
import { DEFAULT_RUNTIME_CONFIG } from '../config/defaults.js';
import { describeDefault, envName, flagName, RUNTIME_CONFIG_KEY_NAMES, RUNTIME_CONFIG_KEYS } from '../config/keys.js';
import { kindsMarkdownTable, pricesMarkdownTable } from '../kinds/registry.js';

/** The runtime config keys: default, meaning, and the names each source uses. */
export const runtimeConfigMarkdownTable = (): string =>
  [
    '| key | default | meaning | flag / environment |',
    '| --- | --- | --- | --- |',
    ...RUNTIME_CONFIG_KEY_NAMES.map(
      (key) => `| \`${key}\` | ${DEFAULT_RUNTIME_CONFIG[key] === undefined ? 'unset = ' : ''}${describeDefault(key)} | ${RUNTIME_CONFIG_KEYS[key].description} | \`${flagName(key)}\`, \`${envName(key)}\` |`,
    ),
  ].join('\n');

export const DERIVED_TABLES: Readonly<Record<string, () => string>> = {
  'kinds-table': kindsMarkdownTable,
  'prices-table': pricesMarkdownTable,
  'runtime-config-table': runtimeConfigMarkdownTable,
};

/** `text` with every derived table replaced by its current value. @throws Error when a marker pair is missing */
export const replaceDerivedTables = (text: string): string => {
  let out = text;
  for (const [name, render] of Object.entries(DERIVED_TABLES)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from === -1 || to < from) throw new Error(`README: no ${start} … ${end} block`);
    out = `${out.slice(0, from + start.length)}\n${render()}\n${out.slice(to)}`;
  }
  return out;
};
