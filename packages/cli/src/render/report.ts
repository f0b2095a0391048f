import { formatDuration } from "@odoo-deploy/core";
import type { CommandReport } from "../command.js";
import type { HumanOutput } from "./human.js";

/** Default human rendering: the report's checks or steps, then the verdict. */
export function renderReport(report: CommandReport, out: HumanOutput): void {
  for (const c of report.checks ?? report.steps ?? []) out.check(c);
  out.verdict(report.ok, `in ${formatDuration(report.durationMs)}`);
}
