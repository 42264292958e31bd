/** The README's tables derived from the registry, between `<!-- NAME:start -->` and `<!-- NAME:end -->` markers. */
import { kindsMarkdownTable, pricesMarkdownTable } from './registry.js';

export const DERIVED_TABLES: Readonly<Record<string, () => string>> = {
  'kinds-table': kindsMarkdownTable,
  'prices-table': pricesMarkdownTable,
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
