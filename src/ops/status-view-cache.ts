/**
 * The status item of a worker whose child is not running (queued or ended), as `captain status`
 * files it in the record cache in place of the record's text: its task card, its usage
 * contribution and its entry as a template over `now` (lifecycle/view-template.ts). Such a record,
 * unchanged, then costs a `stat` and the template's filling: no read, no parse, no derivation. The view key names everything such an
 * item depends on besides the record: the template version, the price table and the config.
 *
 * The filed text: `<meta JSON>\n<anchors, comma-separated>\n<the template's text>` (its holes are
 * U+0001, which JSON text never holds raw).
 */
import { hash } from 'node:crypto';
import type { RuntimeConfig } from '../config/defaults.js';
import { MODEL_PRICES, PRICES_AS_OF } from '../kinds/prices.js';
import { parseChildStatus, parseWorkerState } from '../lifecycle/states.js';
import { VIEW_TEMPLATE_HOLE, VIEW_TEMPLATE_VERSION, type ViewTemplate } from '../lifecycle/view-template.js';
import type { UsageContribution } from './usage.js';

export interface CachedStatusView {
  cardId: string;
  usage: UsageContribution | null;
  template: ViewTemplate;
}

/** The view key of status items derived under `config` (see record-cache.ts). */
export const statusViewKey = (config: RuntimeConfig): string =>
  hash(
    'sha256',
    JSON.stringify({
      template: VIEW_TEMPLATE_VERSION,
      prices: [PRICES_AS_OF, MODEL_PRICES],
      config: [config.worker_stuck_after_ms, config.worker_quiet_after_ms ?? null, config.worker_kill_grace_ms, config.worker_auto_reclaim_enabled, config.worker_max_retries_per_phase, config.worker_retry_backoff_ms],
    }),
    'base64',
  );

export const encodeStatusView = (view: CachedStatusView): string => {
  const { facts, text, anchors } = view.template;
  const meta = JSON.stringify({ card: view.cardId, usage: view.usage, facts: [facts.state ?? null, facts.status ?? null, facts.reclaimNeeded] });
  return `${meta}\n${anchors.join(',')}\n${text}`;
};

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const decodeUsage = (value: unknown): UsageContribution | null | undefined => {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { tokens, cost, costUnknown } = value as Record<string, unknown>;
  const tokensOk = tokens === null || (Array.isArray(tokens) && tokens.length === 5 && tokens.every(isCount));
  if (!tokensOk || !(cost === null || isCount(cost)) || typeof costUnknown !== 'boolean') return undefined;
  return { tokens: tokens as UsageContribution['tokens'], cost: cost as number | null, costUnknown };
};

/** The filed view, or null when the text is not one `encodeStatusView` wrote (the record is then read). */
export const decodeStatusView = (text: string): CachedStatusView | null => {
  const metaEnd = text.indexOf('\n');
  const anchorsEnd = metaEnd === -1 ? -1 : text.indexOf('\n', metaEnd + 1);
  if (anchorsEnd === -1) return null;
  let meta: unknown;
  try {
    meta = JSON.parse(text.slice(0, metaEnd));
  } catch {
    return null;
  }
  if (typeof meta !== 'object' || meta === null) return null;
  const { card, usage, facts } = meta as Record<string, unknown>;
  const decodedUsage = decodeUsage(usage);
  if (typeof card !== 'string' || decodedUsage === undefined || !Array.isArray(facts) || facts.length !== 3) return null;
  const [state, status, reclaimNeeded] = facts as unknown[];
  if (!(state === null || typeof state === 'string') || !(status === null || typeof status === 'string') || typeof reclaimNeeded !== 'boolean') return null;
  const anchorsText = text.slice(metaEnd + 1, anchorsEnd);
  const anchors = anchorsText === '' ? [] : anchorsText.split(',').map(Number);
  if (!anchors.every(Number.isSafeInteger)) return null;
  const template = text.slice(anchorsEnd + 1);
  let holes = 0;
  for (let at = template.indexOf(VIEW_TEMPLATE_HOLE); at !== -1; at = template.indexOf(VIEW_TEMPLATE_HOLE, at + 1)) holes += 1;
  if (holes !== anchors.length) return null;
  return {
    cardId: card,
    usage: decodedUsage,
    template: {
      text: template,
      anchors,
      facts: { state: state === null ? undefined : parseWorkerState(state), status: status === null ? undefined : parseChildStatus(status), reclaimNeeded },
    },
  };
};
