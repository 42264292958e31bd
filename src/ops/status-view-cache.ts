/**
 * A worker's status item as `captain status` files it in the record cache in place of the
 * record's text: its task card, its usage contribution and its entry (and reclaim target, when it
 * needs reclaim) as templates over `now` (lifecycle/view-template.ts). Such a record, unchanged,
 * then costs a `stat` and the template's filling: no read, no parse, no derivation (a running
 * worker's record is also observed first, or its witness checked). The view key names everything
 * such an item depends on besides the record: the template version, the price table and the config.
 *
 * The filed text: `<meta JSON>\n<anchors, comma-separated>\n<the template's text>` (its holes are
 * U+0001, which JSON text never holds raw), and for a running worker the record's text right after
 * the template (the meta gives the template's length in bytes, and until when it holds). A reclaim
 * target's template, short, is in the meta (`target`: its text and anchors).
 */
import { hash } from 'node:crypto';
import type { RuntimeConfig } from '../config/defaults.js';
import { MODEL_PRICES, PRICES_AS_OF } from '../kinds/prices.js';
import { parseChildStatus, parseWorkerState } from '../lifecycle/states.js';
import { VIEW_TEMPLATE_HOLE, VIEW_TEMPLATE_VERSION, type ViewTemplate } from '../lifecycle/view-template.js';
import type { WorkerFacts } from '../lifecycle/visibility.js';
import { decodeWitness, type ObservationWitness } from './observation-witness.js';
import type { UsageContribution } from './usage.js';
import { fillerBytes, type JsonFiller } from '../util/json-text.js';

export interface CachedStatusView {
  cardId: string;
  usage: UsageContribution | null;
  facts: WorkerFacts;
  /** The template's text in UTF-8, a 0x01 byte at each hole (UTF-8 never uses that byte otherwise). */
  template: Buffer;
  /** Where the template starts in the bytes it was decoded from. */
  templateStart: number;
  anchors: number[];
  /** Where each hole is in `template` (found once, when decoded). */
  holes: number[];
  /** Until when (epoch ms, exclusive) the template gives the entry (Infinity: for good; see ViewTemplate.until). */
  until: number;
  /** From when (epoch ms) it does (-Infinity: always; see ViewTemplate.from). */
  from: number;
  /**
   * A running worker's record, as the text a read checked (status observes the worker before it
   * uses the template, and derives from the record once the template has run out), and whether
   * that text may hold a float literal (`mayHoldFloatLiteral`).
   */
  record?: { text: string; floatLiteral: boolean };
  /** For a running worker's: what proves observing its record again would change nothing (then it is not parsed). */
  witness?: ObservationWitness;
  /** Its reclaim target's template (a worker that needs reclaim), or null. */
  target: { text: string; anchors: number[] } | null;
}

/** What `status` files for such a worker. */
export interface StatusViewToFile {
  cardId: string;
  usage: UsageContribution | null;
  template: ViewTemplate;
  /** A running worker's record text (see CachedStatusView.record). */
  record?: { text: string; floatLiteral: boolean };
  /** And the witness of its last observation (see CachedStatusView.witness). */
  witness?: ObservationWitness;
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

export const encodeStatusView = (view: StatusViewToFile): string => {
  const { facts, text, anchors, until, from, target } = view.template;
  const { record } = view;
  const meta = JSON.stringify({
    card: view.cardId,
    usage: view.usage,
    facts: [facts.state ?? null, facts.status ?? null, facts.reclaimNeeded],
    // A running worker's: until when the template holds, the template's UTF-8 length, and the record text after it.
    ...(from === -Infinity ? {} : { from }),
    ...(until === Infinity ? {} : { until }),
    ...(target === null ? {} : { target: [target.text, target.anchors] }),
    ...(record === undefined ? {} : { template_bytes: Buffer.byteLength(text, 'utf8'), float: record.floatLiteral }),
    ...(record === undefined || view.witness === undefined ? {} : { witness: view.witness }),
  });
  return `${meta}\n${anchors.join(',')}\n${text}${record === undefined ? '' : record.text}`;
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

const NEWLINE = 0x0a;
const HOLE = 0x01;

const COMMA = 0x2c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;

/**
 * The comma-separated integers `encodeStatusView` wrote between `from` and `to` (`String` of safe
 * integers: digits, maybe a leading minus), read straight from the bytes; null when they are not.
 */
const parseAnchors = (bytes: Buffer, from: number, to: number): number[] | null => {
  const anchors: number[] = [];
  if (from === to) return anchors;
  let at = from;
  for (;;) {
    const negative = bytes[at] === MINUS;
    if (negative) at += 1;
    const start = at;
    let value = 0;
    while (at < to) {
      const digit = (bytes[at] as number) - DIGIT_0;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
      at += 1;
    }
    if (at === start || at - start > 16 || !Number.isSafeInteger(value)) return null;
    anchors.push(negative ? -value : value);
    if (at === to) return anchors;
    if (bytes[at] !== COMMA) return null;
    at += 1;
  }
};

/** The record text after the template, decoded when first asked for (a witnessed worker's never is). */
const recordAfter = (bytes: Buffer, start: number, floatLiteral: boolean): { text: string; floatLiteral: boolean } => {
  let text: string | undefined;
  return {
    get text() {
      text ??= bytes.toString('utf8', start);
      return text;
    },
    floatLiteral,
  };
};

/** A reclaim target's template as filed (`[text, anchors]`, one hole per anchor), or undefined when it is not one. */
const decodeTarget = (value: unknown): { text: string; anchors: number[] } | undefined => {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [text, anchors] = value as unknown[];
  if (typeof text !== 'string' || !Array.isArray(anchors) || !anchors.every((a) => Number.isSafeInteger(a))) return undefined;
  if (text.split(VIEW_TEMPLATE_HOLE).length - 1 !== anchors.length) return undefined;
  return { text, anchors: anchors as number[] };
};

/**
 * One frozen facts object per (state, status, reclaim needed) seen: 10k views share a handful
 * (states and statuses a record cannot name are kept verbatim: past FACTS_SHARED, each gets its own).
 */
const FACTS = new Map<string | null, Map<string | null, [WorkerFacts | undefined, WorkerFacts | undefined]>>();
const FACTS_SHARED = 256;
let factsShared = 0;
const sharedFacts = (state: string | null, status: string | null, reclaimNeeded: boolean): WorkerFacts => {
  const pair = FACTS.get(state)?.get(status);
  const slot = reclaimNeeded ? 1 : 0;
  const known = pair?.[slot];
  if (known !== undefined) return known;
  const facts = Object.freeze({
    state: state === null ? undefined : parseWorkerState(state),
    status: status === null ? undefined : parseChildStatus(status),
    reclaimNeeded,
  });
  if (factsShared >= FACTS_SHARED) return facts;
  factsShared += 1;
  let byStatus = FACTS.get(state);
  if (byStatus === undefined) FACTS.set(state, (byStatus = new Map()));
  const slots = byStatus.get(status) ?? [undefined, undefined];
  slots[slot] = facts;
  byStatus.set(status, slots);
  return facts;
};

/** Whether the view gives the entry at `nowMs` (from its `from`, until before its `until`). */
export const viewHoldsAt = (view: Pick<CachedStatusView, 'from' | 'until'>, nowMs: number): boolean => view.from <= nowMs && nowMs < view.until;

/**
 * The filed view (its bytes are kept, not copied), or null when they are not what `encodeStatusView`
 * wrote (the record is then read). `witnesses: false` leaves a running worker's witness undecoded
 * (a status that observes nothing, `--snapshot`, never checks one).
 */
export const decodeStatusView = (bytes: Buffer, opts: { witnesses?: boolean } = {}): CachedStatusView | null => {
  const metaEnd = bytes.indexOf(NEWLINE);
  const anchorsEnd = metaEnd === -1 ? -1 : bytes.indexOf(NEWLINE, metaEnd + 1);
  if (anchorsEnd === -1) return null;
  let meta: unknown;
  try {
    meta = JSON.parse(bytes.toString('utf8', 0, metaEnd));
  } catch {
    return null;
  }
  if (typeof meta !== 'object' || meta === null) return null;
  const { card, usage, facts, from, until, template_bytes: templateBytes, float, witness, target } = meta as Record<string, unknown>;
  const decodedTarget = target === undefined ? null : decodeTarget(target);
  if (decodedTarget === undefined) return null;
  const decodedUsage = decodeUsage(usage);
  if (typeof card !== 'string' || decodedUsage === undefined || !Array.isArray(facts) || facts.length !== 3) return null;
  if (!(until === undefined || Number.isSafeInteger(until)) || !(from === undefined || Number.isSafeInteger(from))) return null;
  const withRecord = templateBytes !== undefined;
  // A view that runs out, or starts, carries the record to derive instead (a running worker's: it may also hold for good, with no progress time to judge).
  if ((until !== undefined || from !== undefined) && !withRecord) return null;
  if (withRecord && (!Number.isSafeInteger(templateBytes) || (templateBytes as number) < 0 || typeof float !== 'boolean')) return null;
  const [state, status, reclaimNeeded] = facts as unknown[];
  if (!(state === null || typeof state === 'string') || !(status === null || typeof status === 'string') || typeof reclaimNeeded !== 'boolean') return null;
  const anchors = parseAnchors(bytes, metaEnd + 1, anchorsEnd);
  if (anchors === null) return null;
  const templateEnd = withRecord ? anchorsEnd + 1 + (templateBytes as number) : bytes.length;
  if (templateEnd > bytes.length) return null;
  const template = bytes.subarray(anchorsEnd + 1, templateEnd);
  const holes: number[] = [];
  for (let at = template.indexOf(HOLE); at !== -1; at = template.indexOf(HOLE, at + 1)) holes.push(at);
  if (holes.length !== anchors.length) return null;
  return {
    cardId: card,
    usage: decodedUsage,
    facts: sharedFacts(state, status, reclaimNeeded),
    template,
    templateStart: anchorsEnd + 1,
    anchors,
    holes,
    until: until === undefined ? Infinity : (until as number),
    from: from === undefined ? -Infinity : (from as number),
    target: decodedTarget,
    // Every view has the same keys (one object shape for V8), undefined where there is nothing.
    record: withRecord ? recordAfter(bytes, templateEnd, float as boolean) : undefined,
    // A witness that does not decode is no witness: the record is observed.
    witness: withRecord && witness !== undefined && opts.witnesses !== false ? decodeWitness(witness) : undefined,
  };
};

/** How many decimal digits a non-negative safe integer has. */
const digitCount = (value: number): number => {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  return digits;
};

/**
 * A view's entry at `nowMs`, made only when it is written: its template is read again from the
 * record cache (`reread`) and filled in straight into the writer's buffer, the same bytes as
 * {@link fillStatusView}. So a status holds no entry's bytes of its own between deriving and
 * printing (23 MB of fresh memory for 10k workers, which costs more than reading them again).
 */
export class ViewEntryFiller implements JsonFiller {
  readonly byteLength: number;
  readonly #reread: (at: number, length: number) => Buffer | null;
  readonly #at: number;
  readonly #length: number;
  readonly #holes: readonly number[];
  readonly #anchors: readonly number[];
  readonly #nowMs: number;

  /**
   * `at`: where the view's template lies for `reread` (its `length` bytes, holes and anchors as
   * decoded from there).
   */
  constructor(reread: (at: number, length: number) => Buffer | null, at: number, view: Pick<CachedStatusView, 'template' | 'holes' | 'anchors'>, nowMs: number) {
    this.#reread = reread;
    this.#at = at;
    this.#length = view.template.length;
    this.#holes = view.holes;
    this.#anchors = view.anchors;
    this.#nowMs = nowMs;
    let size = this.#length - view.anchors.length;
    for (const anchor of view.anchors) size += digitCount(Math.max(nowMs - anchor, 0));
    this.byteLength = size;
  }

  fill(out: Uint8Array, start: number): number {
    const template = this.#reread(this.#at, this.#length);
    if (template === null) throw new Error('a worker entry could not be read again from the record cache (saved, discarded, or changed since it was read): run the status again');
    const holes = this.#holes;
    // The template's bytes in one copy, then, from the last hole back, the text after each hole moved
    // right to make room for its age (copyWithin: a memmove, no view object per piece), the age written in.
    out.set(template, start);
    let extra = this.byteLength - this.#length;
    let pieceEnd = start + this.#length;
    for (let i = holes.length - 1; i >= 0; i -= 1) {
      const hole = start + (holes[i] as number);
      if (out[hole] !== HOLE) throw new Error('a worker entry read again from the record cache is not the one decoded: run the status again');
      let age = Math.max(this.#nowMs - (this.#anchors[i] as number), 0);
      const digits = digitCount(age);
      if (extra > 0) out.copyWithin(hole + 1 + extra, hole + 1, pieceEnd);
      pieceEnd = hole;
      extra -= digits - 1;
      for (let d = hole + extra + digits - 1; d >= hole + extra; d -= 1) {
        out[d] = DIGIT_0 + (age % 10);
        age = Math.floor(age / 10);
      }
    }
    return this.byteLength;
  }
}

/**
 * The entry's UTF-8 at `nowMs` in a buffer of its own, from a template held in memory: the
 * template's bytes with each hole's age (`fillViewTemplate`, byte for byte; the same fill as
 * {@link ViewEntryFiller}).
 */
export const fillStatusView = (view: Pick<CachedStatusView, 'template' | 'anchors' | 'holes'>, nowMs: number): Buffer =>
  fillerBytes(new ViewEntryFiller(() => view.template, 0, view, nowMs));
