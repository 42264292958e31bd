/**
 * A worker's `worker_visibility` entry as a template over `now`: its JSON text cut where an age
 * stands (`elapsed_since_progress_ms`, the heartbeat's `elapsed_ms`, `last_update_age_ms`, ...,
 * and the ages some recovery reasons spell out), each hole `max(now - anchor, 0)` for an instant
 * taken from the record. Thresholds are only judged for a running child: for every other child
 * status (queued, completed, failed, cancelled, unknown) nothing of the entry but those ages
 * depends on `now`, so the record cache can keep the template and `status` fill it in instead of
 * parsing and deriving the record again. A running child's entry also depends on `now` through
 * its state (active, quiet, stale, timed out as its progress age crosses each threshold): its
 * template holds from when it was made until the next crossing (`ViewTemplate.from`, `until`). A
 * worker that needs reclaim (stale, timed out) also has its `reclaim_plan.targets` entry as a
 * template (`ViewTemplate.target`), made and checked the same way.
 *
 * The holes are not named here by hand: the entry is derived at a probe instant far beyond any
 * time a record can hold, where every age is a 16-digit number, and each such number becomes a
 * hole. A template is only handed out when it gives back, byte for byte, the entry status derived
 * at the real `now` (and, by construction, the one at the probe), with the same facts and no
 * reclaim target; anything else gets no template (the record is then derived as usual).
 */
import type { RuntimeConfig } from '../config/defaults.js';
import type { JsonObject } from '../util/json.js';
import { childStatusOf, derivedStateHoldsUntil } from './derive.js';
import { reclaimTargetOf } from './reclaim-plan.js';
import { createVisibleWorker, workerFacts, type WorkerFacts } from './visibility.js';

/**
 * Bump when what the lifecycle derivation writes into an entry changes: record caches holding
 * templates of another version are not used. test/lifecycle/view-template.test.ts fails, naming
 * this constant, when the derivation's output changes and it was not bumped.
 */
export const VIEW_TEMPLATE_VERSION = 3;

/** Where a hole stands in a template's text (JSON.stringify never writes a raw U+0001: it escapes it). */
export const VIEW_TEMPLATE_HOLE = '\u0001';

export interface ViewTemplate {
  /** The entry's JSON text with VIEW_TEMPLATE_HOLE at each hole. */
  text: string;
  /** Per hole, the instant (epoch ms) its age counts from. */
  anchors: number[];
  /** The entry's facts (state, child status, reclaim needed): the same at every `now` before `until`. */
  facts: WorkerFacts;
  /**
   * Until when (epoch ms, exclusive) the template gives the entry: Infinity for a child that is not
   * running; for a running one, the first instant its progress age reaches another threshold
   * (`derivedStateHoldsUntil`).
   */
  until: number;
  /** From when (epoch ms) it gives the entry: -Infinity for a child that is not running; for a running one, the instant it was made at (its state was judged then). */
  from: number;
  /** The worker's `reclaim_plan.targets` entry as a template over the same `now` (null: it needs no reclaim). */
  target: { text: string; anchors: number[] } | null;
}

/**
 * An instant past any time a record can name (RFC 3339 ends at year 9999, ~2.5e14 ms; the
 * earliest is year 0, ~-6.2e13): no age is clamped at 0 there, and each is a 16-digit number.
 */
const PROBE = 4_000_000_000_000_000;

/** Whether the record's entry depends on `now` only through ages, at every instant: its child is not running (derive.ts judges thresholds for a running child only). */
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
 * An age at the probe: 16 digits, a whole unsigned integer (no sign, fraction, exponent or further
 * digit around it), in a number or inside a string.
 */
const PROBE_AGE = /(?<![\d.\-])\d{16}(?![\d.eE])/g;

/**
 * The entry at the probe, with every 16-digit number taken for an age counted from
 * `PROBE - number`. A number that is no age (a 16-digit constant) comes out wrong at any other
 * instant, so `buildViewTemplate`'s check at the real `now` refuses the template.
 */
const holesAt = (text: string): { text: string; anchors: number[] } | null => {
  if (text.includes(VIEW_TEMPLATE_HOLE)) return null;
  const anchors: number[] = [];
  const template = text.replace(PROBE_AGE, (digits) => {
    anchors.push(PROBE - Number(digits));
    return VIEW_TEMPLATE_HOLE;
  });
  return { text: template, anchors };
};

const sameFacts = (a: WorkerFacts, b: WorkerFacts): boolean => a.state === b.state && a.status === b.status && a.reclaimNeeded === b.reclaimNeeded;

/**
 * The template of a record's entry, checked against `text` and `facts` (its entry derived at
 * `nowMs` as status printed it, and that entry's facts) and `targetText` (its reclaim target as
 * status printed it, null when none); null when the template does not give back every derivation
 * it was checked against. A running child's template holds the state judged at `nowMs` (the probe
 * shows its ages only) and is good until the next threshold its progress age reaches; there it is
 * checked again, one millisecond before.
 */
export const buildViewTemplate = (record: JsonObject, config: RuntimeConfig, nowMs: number, text: string, facts: WorkerFacts, targetText: string | null = null): ViewTemplate | null => {
  const until = derivedStateHoldsUntil(record, config, nowMs);
  if (!(until > nowMs)) return null;
  const ageOnly = hasAgeOnlyEntry(record);
  const probed = createVisibleWorker(record, config, PROBE, ageOnly ? {} : { judgedAtMs: nowMs });
  const probedTarget = reclaimTargetOf(probed);
  if ((probedTarget === null) !== (targetText === null) || !sameFacts(workerFacts(probed), facts)) return null;
  const holes = holesAt(JSON.stringify(probed));
  const targetHoles = probedTarget === null ? null : holesAt(JSON.stringify(probedTarget));
  // At the probe they give back their own digits by construction; `now` is the test.
  if (holes === null || fillViewTemplate(holes, nowMs) !== text) return null;
  if (targetText !== null && (targetHoles === null || fillViewTemplate(targetHoles, nowMs) !== targetText)) return null;
  // A running child: the last instant it is used at gives back the derivation there too.
  if (until !== Infinity) {
    const last = createVisibleWorker(record, config, until - 1);
    if (fillViewTemplate(holes, until - 1) !== JSON.stringify(last)) return null;
    const lastTarget = reclaimTargetOf(last);
    if ((lastTarget === null) !== (targetHoles === null)) return null;
    if (targetHoles !== null && fillViewTemplate(targetHoles, until - 1) !== JSON.stringify(lastTarget)) return null;
  }
  return { ...holes, facts, until, from: ageOnly ? -Infinity : nowMs, target: targetHoles };
};
