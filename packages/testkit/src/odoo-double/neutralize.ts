/**
 * `odoo-bin neutralize -d DB` (Odoo 16–18): runs `data/neutralize.sql` of every installed module found on the
 * addons path, in one transaction; modules missing from the addons path are skipped silently, as Odoo does.
 * Not idempotent (a second run inserts another dummy mail server), like Odoo. `--stdout` prints the SQL instead.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Session } from "./db.js";
import type { OdooLogger } from "./log.js";
import { baseNeutralizeSql, type OdooModule } from "./modules.js";

/** The neutralization queries of the installed modules, in module name order. */
export async function neutralizationQueries(s: Session, modules: Map<string, OdooModule>): Promise<string[]> {
  const installed = await s.q<{ name: string }>("SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name");
  const out: string[] = [];
  for (const { name } of installed) {
    const m = modules.get(name);
    if (!m) continue;
    if (!m.dir) {
      if (name === "base") out.push(baseNeutralizeSql());
      continue;
    }
    const f = path.join(m.dir, "data", "neutralize.sql");
    if (existsSync(f)) out.push(readFileSync(f, "utf8").trim());
  }
  return out;
}

/** Neutralizes the database; returns odoo-bin's exit code. */
export async function neutralize(s: Session, log: OdooLogger, dbName: string, modules: Map<string, OdooModule>, toStdout: boolean): Promise<number> {
  if (toStdout) {
    const qs = await neutralizationQueries(s, modules);
    process.stdout.write(`BEGIN;\n${qs.map((q) => `${q.replace(/;\s*$/, "")};\n`).join("")}COMMIT;\n`);
    return 0;
  }
  log.info("odoo.cli.neutralize", `Starting ${dbName} database neutralization`);
  await s.q("BEGIN");
  for (const q of await neutralizationQueries(s, modules)) await s.q(q);
  await s.q("COMMIT");
  log.info("odoo.modules.neutralize", "Neutralization finished");
  return 0;
}
