import { formatDuration, type Check, type EventBase } from "@odoo-deploy/core";
import type { CommandReport } from "../command.js";
import type { HumanOutput } from "./human.js";

/** Default human rendering: the report's checks or steps, then the verdict. */
export function renderReport(report: CommandReport, out: HumanOutput): void {
  const items = (report.checks ?? report.steps) as Check[] | undefined;
  for (const c of items ?? []) out.check(c);
  out.verdict(report.ok, `in ${formatDuration(report.durationMs)}`);
}

/** Default event rendering: progress-like events as a progress line, others only with --verbose. */
export function renderEventDefault(event: EventBase & Record<string, unknown>, out: HumanOutput, verbose: boolean): void {
  const { type, ...rest } = event;
  if (typeof rest.fraction === "number" || type.endsWith(":progress")) {
    out.progress(type, typeof rest.fraction === "number" ? rest.fraction : undefined, summarize(rest));
    return;
  }
  if (verbose) out.line(out.dim(`${type} ${summarize(rest)}`));
}

function summarize(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([k, v]) => k !== "fraction" && v !== undefined && typeof v !== "object")
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}
