import type { AnonymizerEvent } from "@odoo-deploy/anonymizer";
import { formatBytes, formatDuration, type CoreEvent } from "@odoo-deploy/core";
import type { HumanOutput } from "./human.js";
import { refreshRenderers } from "./refresh-progress.js";

/** Every event a command can receive: the unions of the packages it calls. */
export type CliEvent = CoreEvent | AnonymizerEvent;

/** How one kind of event is shown on stderr (progress line, a line, or only with --verbose). */
export type EventRenderer<E> = (event: E, out: HumanOutput, verbose: boolean) => void;

/**
 * One renderer per event `type`: a mapped type over the union, so the compiler refuses a map that misses a
 * case — an event added to a package's union must be given its rendering here.
 */
export type EventRenderers = { [T in CliEvent["type"]]: EventRenderer<Extract<CliEvent, { type: T }>> };

/** `type key=value …` of an event's scalar fields, for --verbose. */
function summarize(event: object): string {
  return Object.entries(event)
    .filter(([k, v]) => k !== "type" && k !== "fraction" && v !== undefined && v !== null && typeof v !== "object")
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}

/** Shown only with --verbose, dimmed. */
const verboseOnly: EventRenderer<CliEvent> = (e, out, verbose) => {
  if (verbose) out.line(out.dim(`${e.type} ${summarize(e)}`.trimEnd()));
};
const silent: EventRenderer<CliEvent> = () => {};

const transferProgress: EventRenderer<Extract<CliEvent, { type: "backup:progress" | "restore:progress" }>> = (e, out) => {
  out.progress(e.phase, e.fraction, `${formatBytes(e.bytes)}${e.totalBytes ? ` of ${formatBytes(e.totalBytes)}` : ""} at ${formatBytes(e.rate)}/s`);
};

const count = (n: number) => n.toLocaleString("en");

/** The renderers of every event. @example renderEvent({ type: "health:wait", attempt: 1, delayMs: 250, remainingMs: 9000 }, out, false) */
export const eventRenderers: EventRenderers = {
  "inspect:connected": verboseOnly,

  "plan:revisions": (e, out) => out.line(out.dim(`comparing ${e.from.slice(0, 12)}..${e.to.slice(0, 12)}`)),
  "plan:discovered": (e, out) => out.line(out.dim(`${e.modules} modules in the addons paths at ${e.revision === "work tree" ? "the work tree" : e.revision.slice(0, 12)}`)),
  "plan:database": (e, out) => out.line(out.dim(`${e.installed} modules installed in the database`)),
  "plan:checksums": (e, out) => out.line(out.dim(`${e.computed} checksums computed`)),

  "backup:started": verboseOnly,
  "backup:progress": transferProgress,
  "backup:check": (e, out, verbose) => {
    if (verbose || e.check.status === "failed") out.check(e.check);
  },
  "backup:published": verboseOnly,
  "backup:step-start": verboseOnly,
  "backup:step": verboseOnly,
  "swap:recovered": (e, out) => out.line(`an earlier run (${e.swap.id}) was ${e.swap.outcome}: ${e.swap.detail}`),
  "restore:started": verboseOnly,
  "restore:progress": transferProgress,
  "restore:step-start": verboseOnly,
  "restore:step": verboseOnly,

  "migrate:lock-wait": (e, out) =>
    out.line(
      `waiting for another update of ${e.dbName} (held by ${e.holders.map((h) => `pid ${h.pid}${h.applicationName ? ` ${h.applicationName}` : ""}`).join(", ") || "another session"}), up to ${formatDuration(e.timeoutMs)}`,
    ),
  "migrate:lock-acquired": verboseOnly,
  "migrate:start": (e, out) => out.line(out.dim(`running on ${e.runner}: ${e.command}`)),
  "migrate:pending-before": (e, out) =>
    out.line(`left pending by an earlier update (odoo-bin applies them now): ${e.modules.map((m) => `${m.name} (${m.state})`).join(", ")}`),
  "migrate:loading": verboseOnly,
  "migrate:module": (e, out) => out.progress(`loading ${e.module}`, e.index !== undefined && e.total ? e.index / e.total : undefined),
  "migrate:module-loaded": (e, out) => out.line(`  ${e.module} loaded in ${formatDuration(e.durationMs)}${e.queries !== undefined ? `, ${e.queries} queries` : ""}`),
  "migrate:log": (e, out) => out.line(`  ${e.level} ${e.logger}: ${e.message}`),
  "migrate:finding": verboseOnly,
  "migrate:exit": verboseOnly,
  "migrate:recorded": verboseOnly,

  "health:attempt": (e, out) => out.line(out.dim(`attempt ${e.attempt}: ${e.ok ? "healthy" : e.detail}`)),
  "health:wait": silent,

  "neutralize:log": (e, out) => out.line(out.dim(e.line)),
  "neutralize:step-start": silent,
  "neutralize:step": silent,

  "deploy:step-start": (e, out) => out.progress(`deploy: ${e.name}`, undefined),
  "deploy:step": (e, out) => out.check(e.step),
  "deploy:recovering": (e, out) => out.line(`an interrupted deploy (${e.id}, ${e.status}) is found: ${e.action}`),
  "deploy:warning": (e, out) => out.line(`warning: ${e.message}`),
  "rollback:step-start": (e, out) => out.progress(`rollback: ${e.name}`, undefined),
  "rollback:step": (e, out) => out.check({ ...e.step, name: `rollback: ${e.step.name}` }),

  "anonymize:catalog": verboseOnly,
  "anonymize:step-start": (e, out) => out.progress(`anonymize: ${e.name}`, undefined),
  "anonymize:step": (e, out, verbose) => {
    // Removing a killed run's databases deserves a line when it happens, not only in the closing summary.
    if (e.step.name === "leftovers" && e.step.status === "ok" && e.step.detail?.startsWith("removed")) out.line(`anonymize: ${e.step.detail}`);
    else if (verbose) out.line(out.dim(`anonymize:step ${e.step.name} ${e.step.status}`));
  },
  "anonymize:random-key": (_e, out) =>
    out.line("warning: no secret given (--secret-env VAR or `secret:` in the rules file): the fakes are keyed by a random key of this run, so they will differ from run to run"),
  "anonymize:progress": (e, out) => {
    const tables = "tablesTotal" in e && e.tablesTotal ? `, ${e.tablesDone}/${e.tablesTotal} tables` : "table" in e ? `, ${e.table}` : "";
    out.progress("anonymize", "fraction" in e ? e.fraction : undefined, `${count(e.rows)} rows, ${formatBytes(e.bytes)}, ${count(e.rowsPerSec)} rows/s${tables}`);
  },
  "anonymize:table": (e, out) => {
    if (e.rows >= 10_000) out.line(`  ${e.table}: ${count(e.rows)} rows, ${formatBytes(e.bytes)}, ${count(e.rowsPerSec)} rows/s`);
  },
  "anonymize:verify": (e, out) => out.progress("leak scan", e.fraction, `${e.table}${e.column ? `.${e.column}` : ""} (${e.done}/${e.total})`),

  // The staging refresh: steps, bars per table and overall on a terminal, one line per step in CI.
  ...refreshRenderers,
};

/**
 * Shows one event on stderr through its renderer. An event this CLI does not know (a newer library) is shown
 * like the others' details, with --verbose only.
 *
 * @example renderEvent(event, human, verbose)
 */
export function renderEvent(event: CliEvent, out: HumanOutput, verbose: boolean): void {
  const render = (eventRenderers as Record<string, EventRenderer<CliEvent> | undefined>)[event.type] ?? verboseOnly;
  render(event, out, verbose);
}
