/**
 * `--dry-run`: the preflight (read-only: no lock taken, no image pulled) and, for every step, the exact
 * commands it would run, secrets left out. Nothing is changed.
 */
import { shellJoin } from "../runner/quote.js";
import { buildOdooUpdateArgv } from "../migrate/command.js";
import { createLocalRunner } from "../runner/local.js";
import { siblingFilestore } from "./filestore-ops.js";
import type { JournaledSteps } from "./journaled.js";
import { runPreflight } from "./preflight.js";
import { targetOf } from "./tail.js";
import type { DeployOdooOptions, DeployReport, DryRunStep } from "./types.js";

/**
 * Fills `report` with the plan and the steps a deploy would take; true when the preflight found nothing wrong.
 *
 * @example const ok = await describeDeploy(options, "prod", names, id, report, steps);
 */
export async function describeDeploy(
  o: DeployOdooOptions,
  database: string,
  names: { rollbackPoint: string },
  id: string,
  report: DeployReport,
  steps: JournaledSteps<"deploy">,
): Promise<boolean> {
  report.status = "dry-run";
  const pre = await steps.recorder.run("preflight", () => runPreflight(o, database, names.rollbackPoint, id, true), (p) => `plan: install [${p.plan.install.join(", ")}], update [${p.plan.update.join(", ")}]`);
  if (!pre.ok) return false;
  const p = pre.value;
  report.plan = p.plan;
  report.warnings.push(...p.warnings);
  const entryTo = { id, to: p.to } as Parameters<typeof targetOf>[0];
  const target = targetOf(entryTo);
  const would: DryRunStep[] = [];
  const fsSnapshot = o.filestore ? siblingFilestore(o.filestore.dir, names.rollbackPoint) : undefined;
  would.push({ name: "lock", commands: [`SELECT pg_try_advisory_lock(<odoo-deploy/deploy/${database}>) on the database postgres, held until the end`] });
  if (p.migrating || o.backup === "always") {
    would.push({
      name: "backup",
      commands: [
        `pg_dump --format=custom --no-password --snapshot=<exported> (PGDATABASE=${database} in its environment, on ${o.databaseRunner?.description ?? "local"}) > ${o.backupDir}/${database}_<timestamp>/database.dump`,
        ...(o.filestore ? [`tar of ${o.filestore.dir} on ${o.filestore.runner.description} > ${o.backupDir}/${database}_<timestamp>/filestore.tar`] : []),
        "pg_restore --file=/dev/null (a full read of the archive), then the manifest, fsync and rename into place",
      ],
    });
  }
  would.push({ name: "stop", commands: [...o.service.describe("stop", {}), `wait until no session but odoo-deploy's is connected to ${database}`] });
  if (p.migrating) {
    would.push({
      name: "rollback-point",
      commands: p.cloneUnavailable
        ? [`none: ${p.cloneUnavailable} (a rollback restores the backup)`]
        : [`CREATE DATABASE "${names.rollbackPoint}" TEMPLATE "${database}" STRATEGY FILE_COPY`, ...(o.filestore && fsSnapshot ? [`cp -al -- ${o.filestore.dir} ${fsSnapshot} (on ${o.filestore.runner.description})`] : [])],
    });
    const runner = (await o.service.migrationRunner(target)) ?? o.odooRunner ?? createLocalRunner();
    const argv = buildOdooUpdateArgv({
      dbName: database,
      update: p.plan.update,
      install: p.plan.install,
      i18nOverwrite: p.plan.i18nOverwrite.length > 0,
      ...(o.odooBin ? { odooBin: o.odooBin } : {}),
      ...(o.odooConfig ? { odooConfig: o.odooConfig } : {}),
      ...(o.odooAddonsPath ? { addonsPath: o.odooAddonsPath } : {}),
    });
    would.push({ name: "migrate", commands: [`${shellJoin(argv)} (on ${runner.description})`, "then the log and the database checked: nothing pending, every module at its new version"] });
    if (runner !== o.odooRunner) await runner.close();
  }
  would.push({ name: "start", commands: o.service.describe("start", target) });
  if (o.healthUrl) {
    const base = o.healthUrl.replace(/\/+$/, "");
    would.push({ name: "health", commands: [`GET ${base}/web/health?db_server_status=1`, `GET ${base}/web/login?db=${database}`, ...(o.smokePaths ?? []).map((s) => `GET ${base}/${s.replace(/^\/+/, "")}`)] });
  }
  would.push({
    name: "record",
    commands: [
      `ir_config_parameter odoo_deploy.deployed_image = ${p.to.image ?? p.to.revision ?? ""}`,
      ...(p.to.revision ? [`ir_config_parameter odoo_deploy.deployed_revision = ${p.to.revision}`] : []),
      `drop rollback points beyond the newest ${o.keepRollbackPoints ?? 1}`,
    ],
  });
  report.wouldRun = would;
  for (const w of would) steps.recorder.skip(w.name, `dry run: ${w.commands.join("; ")}`);
  return true;
}
