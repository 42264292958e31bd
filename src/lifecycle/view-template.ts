/**
 * A worker's `worker_visibility` entry as a template over `now`: its JSON text cut where an age
 * stands (`elapsed_since_progress_ms`, the heartbeat's `elapsed_ms`, `last_update_age_ms`, ...,
 * and the ages some recovery reasons spell out), each hole `max(now - anchor, 0)` for an instant
 * taken from the record. Thresholds are only judged for a running child: for every other child
 * status (queued, completed, failed, cancelled, unknown) nothing of the entry but those ages
 * depends on `now`, so the record cache can keep the template and `status` fill it in instead of
 * parsing and deriving the record again.
 *
 * The holes are not named here by hand: the entry is derived at two probe instants far beyond any
 * time a record can hold, and every age at the first (a 16-digit number there) that the second
 * shows as an age from the same instant becomes a hole. A template is only handed out when it
 * gives back, byte for byte, the entry derived at the second probe and at the real `now` (and, by
 * construction, at the first), with the same facts and no reclaim target; anything else gets no
 * template (the record is then derived as usual).
 */
import type { RuntimeConfig } from '../config/defaults.js';
import type { JsonObject } from '../util/json.js';
import { childStatusOf } from './derive.js';
import { reclaimTargetOf } from './reclaim-plan.js';
import { createVisibleWorker, workerFacts, type WorkerFacts } from './visibility.js';

/**
 * Bump when what the lifecycle derivation writes into an entry changes: record caches holding
 * templates of another version are not used. test/lifecycle/view-template.test.ts fails, naming
 * this constant, when the derivation's output changes and it was not bumped.
 */
export const VIEW_TEMPLATE_VERSION = 1;

/** Where a hole stands in a template's text (JSON.stringify never writes a raw U+0001: it escapes it). */
export const VIEW_TEMPLATE_HOLE = '\u0001';

export interface ViewTemplate {
  /** The entry's JSON text with VIEW_TEMPLATE_HOLE at each hole. */
  text: string;
  /** Per hole, the instant (epoch ms) its age counts from. */
  anchors: number[];
  /** The entry's facts (state, child status, reclaim needed): the same at every `now`. */
  facts: WorkerFacts;
}

/**
 * Two instants past any time a record can name (RFC 3339 ends at year 9999, ~2.5e14 ms): no age
 * is clamped at 0 there, and each age is a 16-digit number in both.
 */
const PROBES = [4_000_000_000_000_000, 5_000_000_000_012_345] as const;

/** Whether the record's entry depends on `now` only through ages: its child is not running (derive.ts judges thresholds for a running child only). */
export const hasAgeOnlyEntry = (record: JsonObject): boolean => childStatusOf(record) !== 'running';

/** The entry's text at `nowMs`. */
export const fillViewTemplate = (template: Pick<ViewTemplate, 'text' | 'anchors'>, nowMs: number): string => {
  const { text, anchors } = template;
  // Joined, not concatenated: one flat string that holds nothing of the template's text.
  const parts: string[] = [];
  let from = 0;
  for (const anchor of anchors) {
    const hole = text.indexOf(VIEW_TEMPLATE_HOLE, from);
    if (hole === -1) break;
    parts.push(text.slice(from, hole), String(Math.max(nowMs - anchor, 0)));
    from = hole + 1;
  }
  parts.push(text.slice(from));
  return parts.join('');
};

/**
 * An age at the first probe: 16 digits, a whole unsigned integer (no sign, fraction, exponent or
 * further digit around it), in a number or inside a string.
 */
const PROBE_AGE = /(?<![\d.\-])\d{16}(?![\d.eE])/g;

/**
 * The holes of `a` (the entry at the first probe): every age there whose digits at the same place
 * in `b` (the entry at the second probe, as long) are an age from the same instant. What this
 * misses or mistakes, the fills checked by `buildViewTemplate` catch.
 */
const holesBetween = (a: string, b: string): { text: string; anchors: number[] } | null => {
  if (a.length !== b.length || a.includes(VIEW_TEMPLATE_HOLE)) return null;
  const pieces: string[] = [];
  const anchors: number[] = [];
  let pieceStart = 0;
  for (const match of a.matchAll(PROBE_AGE)) {
    const start = match.index;
    const end = start + match[0].length;
    const anchor = PROBES[0] - Number(match[0]);
    if (PROBES[1] - Number(b.slice(start, end)) !== anchor) continue;
    pieces.push(a.slice(pieceStart, start));
    anchors.push(anchor);
    pieceStart = end;
  }
  pieces.push(a.slice(pieceStart));
  return { text: pieces.join(VIEW_TEMPLATE_HOLE), anchors };
};

const sameFacts = (a: WorkerFacts, b: WorkerFacts): boolean => a.state === b.state && a.status === b.status && a.reclaimNeeded === b.reclaimNeeded;

/**
 * The template of a record's entry, checked against `text` and `facts` (its entry derived at
 * `nowMs` as status printed it, and that entry's facts; it must be no reclaim target); null when
 * the child is running or the template does not give back every derivation it was checked against.
 */
export const buildViewTemplate = (record: JsonObject, config: RuntimeConfig, nowMs: number, text: string, facts: WorkerFacts): ViewTemplate | null => {
  if (!hasAgeOnlyEntry(record)) return null;
  const probed = PROBES.map((at) => createVisibleWorker(record, config, at));
  for (const view of probed) if (reclaimTargetOf(view) !== null || !sameFacts(workerFacts(view), facts)) return null;
  const texts = probed.map((view) => JSON.stringify(view));
  const holes = holesBetween(texts[0] as string, texts[1] as string);
  if (holes === null) return null;
  // At the first probe it gives back its own digits by construction; the second probe and now are the test.
  if (fillViewTemplate(holes, PROBES[1]) !== texts[1] || fillViewTemplate(holes, nowMs) !== text) return null;
  return { ...holes, facts };
};
