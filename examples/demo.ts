/**
 * `npm run demo`: the main job on an embedded default. Starts a throwaway PostgreSQL cluster, generates an
 * Odoo-shaped demo database with its filestore and a git repository of custom addons, then runs the real
 * `odoo-deploy` commands a release and a staging refresh need — each prints its report — and throws
 * everything away. Needs only Node 20 and PostgreSQL's binaries.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEPLOYED_REVISION_KEY, setConfigParameter, withClient } from "@odoo-deploy/core";
import { createOdooDemoDatabase, createTempGitRepo, startPostgres } from "@odoo-deploy/testkit";

const cliBin = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));

function step(title: string, args: string[], options: { expectCode?: number; env?: Record<string, string> } = {}): void {
  process.stderr.write(`\n\x1b[1m$ odoo-deploy ${args.join(" ")}\x1b[0m\n\x1b[2m# ${title}\x1b[0m\n`);
  const r = spawnSync(process.execPath, [cliBin, ...args], { stdio: "inherit", env: { ...process.env, ...options.env } });
  const expected = options.expectCode ?? 0;
  if (r.status !== expected) throw new Error(`odoo-deploy ${args.slice(0, 2).join(" ")} exited ${r.status}, expected ${expected}`);
}

const manifest = (name: string, version: string, depends: string[]) =>
  `# -*- coding: utf-8 -*-\n{\n    'name': '${name}',\n    'version': '${version}',\n    'depends': [${depends.map((d) => `'${d}'`).join(", ")}],\n    'data': ['views/views.xml'],\n    'license': 'LGPL-3',\n}\n`;

const work = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-demo-"));
process.stderr.write("Starting a throwaway PostgreSQL cluster…\n");
const cluster = await startPostgres();
const repo = await createTempGitRepo({ dir: path.join(work, "repo") });
try {
  // 1. "Production": an Odoo-shaped database, its filestore, and the revision of the code running on it.
  await cluster.createDatabase("odoo_demo");
  const dbUrl = cluster.url("odoo_demo");
  const filestoreDir = path.join(work, "data", "filestore", "odoo_demo");
  mkdirSync(filestoreDir, { recursive: true });
  const made = await createOdooDemoDatabase({ url: dbUrl, partners: 5000, filestoreDir, attachments: 60 });
  repo.write({
    "custom_addons/demo_sale_extra/__manifest__.py": manifest("Sale extras", "16.0.1.0.0", ["crm", "product"]),
    "custom_addons/demo_sale_extra/__init__.py": "",
    "custom_addons/demo_sale_extra/views/views.xml": "<odoo/>\n",
    "custom_addons/demo_sale_extra/README.rst": "Sale extras\n",
  });
  const deployed = await repo.commit("demo_sale_extra 16.0.1.0.0");
  await withClient(dbUrl, (c) => setConfigParameter(c, DEPLOYED_REVISION_KEY, deployed));
  process.stderr.write(
    `Generated odoo_demo: ${made.partners} partners, ${made.attachments} attachments; code at ${deployed.slice(0, 10)} recorded as deployed.\n`,
  );

  // 2. New commits to ship: a docs-only change, a view change with a version bump, and a new module it needs.
  repo.write({ "custom_addons/demo_sale_extra/README.rst": "Sale extras, with reports\n" });
  await repo.commit("docs");
  repo.write({
    "custom_addons/demo_sale_extra/__manifest__.py": manifest("Sale extras", "16.0.1.1.0", ["crm", "product", "demo_sale_report"]),
    "custom_addons/demo_sale_extra/views/views.xml": "<odoo><!-- new button --></odoo>\n",
    "custom_addons/demo_sale_report/__manifest__.py": manifest("Sale report", "16.0.1.0.0", ["crm"]),
    "custom_addons/demo_sale_report/__init__.py": "",
    "custom_addons/demo_sale_report/views/views.xml": "<odoo/>\n",
  });
  await repo.commit("demo_sale_extra 16.0.1.1.0 needs the new demo_sale_report");

  step("where are we? Odoo version, module states, the revision deployed", ["status", "--db-url", dbUrl]);
  step("what must the release install and update, in which order (base revision read from the database)?", [
    "plan", "--repo", repo.dir, "--addons-path", "custom_addons", "--db-url", dbUrl,
  ]);

  // 3. Backups proven good before they are published.
  const backups = path.join(work, "backups");
  step("back up database and filestore; verified (full read, Odoo tables, every attachment's file) before it is published", [
    "backup", "--db-url", dbUrl, "--out", backups, "--filestore-dir", filestoreDir, "--row-counts", "--meta", `revision=${deployed}`,
  ]);
  const published = path.join(backups, readdirSync(backups).find((f) => !f.startsWith("."))!);
  step("prove it restores: into a scratch database, exact row counts compared, scratch dropped", [
    "backup", "verify", published, "--level", "restore", "--db-url", cluster.url("postgres"),
  ]);
  step("the backups we have", ["backup", "list", backups]);

  // 4. The weekly staging refresh: a copy of production without personal data, refused if anything is unclassified.
  const secret = { ODOO_DEPLOY_ANONYMIZE_SECRET: "demo-secret-from-your-vault" };
  step("does the Odoo preset classify every column of this database? (fail-closed)", [
    "anonymize", "check", "--source-url", dbUrl, "--preset", "odoo",
  ]);
  step("anonymized copy for staging, streamed table by table on one snapshot", [
    "anonymize", "--source-url", dbUrl, "--target-url", cluster.url("odoo_staging"), "--preset", "odoo",
  ], { env: secret });
  step("scan the copy for any original value of a transformed column, and for a canary", [
    "anonymize", "verify", "--source-url", dbUrl, "--target-url", cluster.url("odoo_staging"), "--preset", "odoo", "--canary", "Smtp-Passw0rd!",
  ]);
  step("the staging copy is a consistent Odoo database", ["status", "--db-url", cluster.url("odoo_staging")]);

  process.stderr.write("\nDemo finished: every command above ran for real against a throwaway PostgreSQL cluster.\n");
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}
