/**
 * How the staging refresh's events are shown (issue 19). On a terminal: the step running, then while data moves
 * an overall bar and one bar per table in flight, each with rows/s and an ETA, rewritten in place. In CI (no
 * terminal): one line per step as it ends, nothing in between (`--verbose` adds a progress line every few
 * seconds). A refresh of a big database takes an hour: a log that says nothing until it ends is as useless as
 * one with a line per 10,000 rows.
 *
 * `refresh:progress` is read as: with `table`, that table's own `done` of `total`; without, the phase as a whole
 * (when the library sends none, the overall line sums the tables). `perSec`, when absent, is measured here from
 * the events' arrival; the ETA is `(total - done) / perSec`.
 */
import type { RefreshEvent } from "@odoo-deploy/anonymizer";
import { formatDuration } from "@odoo-deploy/core";
import type { EventRenderer } from "./events.js";
import type { HumanOutput } from "./human.js";

type Progress = Extract<RefreshEvent, { type: "refresh:progress" }>;

/** One bar's numbers, with what its rate is measured from when the event gives none. */
interface Meter {
  done: number;
  total?: number;
  perSec?: number;
  firstAt: number;
  firstDone: number;
  at: number;
}

interface State {
  step?: string;
  phase?: Progress["phase"];
  unit: Progress["unit"];
  /** From events without `table`: the phase as a whole. */
  overall?: Meter;
  /** From events with `table`, in the order they started; removed when done. */
  tables: Map<string, Meter>;
  finishedTables: number;
  /** Rows (files) of the tables done, for the overall figure when the phase sends none of its own. */
  finishedDone: number;
  lastDrawAt: number;
  /** Steps already shown as they ended, by name (a name may come twice: health after a swap back). */
  shown: Map<string, number>;
}

const states = new WeakMap<HumanOutput, State>();
const stateOf = (out: HumanOutput): State => {
  let s = states.get(out);
  if (!s) states.set(out, (s = { unit: "rows", tables: new Map(), finishedTables: 0, finishedDone: 0, lastDrawAt: 0, shown: new Map() }));
  return s;
};

/** Tables shown at once below the overall bar (the copy runs at most 8 jobs). */
const MAX_TABLE_LINES = 8;
/** A terminal is redrawn at most this often: events come per COPY batch, many per second. */
const REDRAW_MS = 100;

/**
 * How many steps of each name the live event lines already showed on this output: the closing summary prints
 * only the others, so a step is shown once whether or not the library emitted its event.
 *
 * @example const shown = stepsShown(out); for (const s of report.steps) if (!take(shown, s.name)) out.check(s);
 */
export function stepsShown(out: HumanOutput): Map<string, number> {
  return new Map(stateOf(out).shown);
}

const count = (n: number) => Math.round(n).toLocaleString("en");

function rate(m: Meter): number | undefined {
  if (m.perSec !== undefined) return m.perSec;
  const secs = (m.at - m.firstAt) / 1000;
  return secs >= 1 ? (m.done - m.firstDone) / secs : undefined;
}

function bar(fraction: number | undefined): string {
  if (fraction === undefined) return " ".repeat(22);
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * 20);
  return `[${"#".repeat(n)}${"-".repeat(20 - n)}]`;
}

/** `1,234 of 2,900 rows  312 rows/s  ETA 5.3s`: the parts that are known. */
function meterDetail(m: Meter, unit: string): string {
  const r = rate(m);
  const eta = m.total !== undefined && r !== undefined && r > 0 ? formatDuration((Math.max(0, m.total - m.done) / r) * 1000) : undefined;
  return [
    m.total !== undefined ? `${count(m.done)} of ${count(m.total)} ${unit}` : `${count(m.done)} ${unit}`,
    r !== undefined ? `${count(r)} ${unit}/s` : undefined,
    eta !== undefined ? `ETA ${eta}` : undefined,
  ]
    .filter((p) => p !== undefined)
    .join("  ");
}

/** `[####------]  42%  ` and the detail. */
function meterText(m: Meter, unit: string): string {
  const f = m.total ? m.done / m.total : undefined;
  return `${bar(f)} ${f === undefined ? "    " : `${String(Math.round(Math.min(1, f) * 100)).padStart(3)}%`}  ${meterDetail(m, unit)}`;
}

/** The overall meter: the phase's own events, else the sum of the tables seen so far (total unknown then). */
function overallOf(s: State, now: number): Meter {
  if (s.overall) return s.overall;
  let done = s.finishedDone;
  let perSec = 0;
  for (const m of s.tables.values()) {
    done += m.done;
    perSec += rate(m) ?? 0;
  }
  return { done, firstAt: now, firstDone: done, at: now, ...(perSec > 0 ? { perSec } : {}) };
}

function draw(out: HumanOutput, s: State, now: number): void {
  const label = `refresh: ${s.step ?? s.phase ?? "copy"}`;
  const tables = [...s.tables.entries()];
  const width = Math.max(0, ...tables.slice(0, MAX_TABLE_LINES).map(([t]) => t.length));
  const lines = [`${label}  ${meterText(overallOf(s, now), s.unit)}${s.finishedTables ? `  (${s.finishedTables} table${s.finishedTables > 1 ? "s" : ""} done)` : ""}`];
  for (const [table, m] of tables.slice(0, MAX_TABLE_LINES)) lines.push(`  ${table.padEnd(width)}  ${meterText(m, s.unit)}`);
  if (tables.length > MAX_TABLE_LINES) lines.push(out.dim(`  … ${tables.length - MAX_TABLE_LINES} more tables in flight`));
  out.progressLines(lines);
  s.lastDrawAt = now;
}

function update(meter: Meter | undefined, e: Progress, now: number): Meter {
  const m = meter ?? { done: e.done, firstAt: now, firstDone: e.done, at: now };
  m.done = e.done;
  m.at = now;
  if (e.total !== undefined) m.total = e.total;
  if (e.perSec !== undefined) m.perSec = e.perSec;
  return m;
}

const progress: EventRenderer<Progress> = (e, out, verbose) => {
  const s = stateOf(out);
  const now = Date.now();
  if (s.phase !== e.phase) {
    s.phase = e.phase;
    s.overall = undefined;
    s.tables.clear();
    s.finishedTables = 0;
    s.finishedDone = 0;
  }
  s.unit = e.unit;
  if (e.table === undefined) s.overall = update(s.overall, e, now);
  else {
    const m = update(s.tables.get(e.table), e, now);
    s.tables.set(e.table, m);
    if (m.total !== undefined && m.done >= m.total) {
      s.tables.delete(e.table);
      s.finishedTables++;
      s.finishedDone += m.done;
    }
  }
  if (out.interactive) {
    const finished = e.total !== undefined && e.done >= e.total;
    if (now - s.lastDrawAt >= REDRAW_MS || finished) draw(out, s, now);
  } else if (verbose && e.table === undefined) {
    // A throttled line (every 5 s and at the end: HumanOutput's rule for logs).
    out.progress(`refresh: ${e.phase}`, e.total ? e.done / e.total : undefined, meterDetail(s.overall!, e.unit));
  }
};

/** The renderers of every {@link RefreshEvent}, for the CLI's one event map (render/events.ts). */
export const refreshRenderers: { [T in RefreshEvent["type"]]: EventRenderer<Extract<RefreshEvent, { type: T }>> } = {
  "refresh:step-start": (e, out, verbose) => {
    const s = stateOf(out);
    s.step = e.name;
    s.phase = undefined;
    s.overall = undefined;
    s.tables.clear();
    s.finishedTables = 0;
    s.finishedDone = 0;
    if (out.interactive) out.progress(`refresh: ${e.name}…`, undefined);
    else if (verbose) out.line(out.dim(`refresh: ${e.name}…`));
  },
  "refresh:step": (e, out) => {
    const s = stateOf(out);
    s.shown.set(e.step.name, (s.shown.get(e.step.name) ?? 0) + 1);
    s.step = undefined;
    out.check(e.step);
  },
  "refresh:progress": progress,
  "refresh:cleaned": (e, out) => out.line(`cleaned up after a killed run: ${e.what}`),
  "refresh:warning": (e, out) => out.line(`warning: ${e.message}`),
};
