import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "../vitest.js";
import { createOdooDemoDatabase } from "./create-demo.js";

test("the demo database is Odoo-shaped, consistent, and its filestore matches the attachments", async ({ pg, db }) => {
  const filestore = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-fs-"));
  try {
    const r = await createOdooDemoDatabase({ url: db.url, partners: 300, filestoreDir: filestore, attachments: 12 });
    expect(r).toEqual({ partners: 300, attachments: 12 });
    const [counts] = await pg.query<{ partners: string; installed: string; pending: string; users: string; leads: string }>(
      `select (select count(*) from res_partner) partners,
              (select count(*) from ir_module_module where state = 'installed') installed,
              (select count(*) from ir_module_module where state like 'to %') pending,
              (select count(*) from res_users) users,
              (select count(*) from crm_lead) leads`,
      [],
      db.name,
    );
    expect(counts).toEqual({ partners: "300", installed: "9", pending: "0", users: "6", leads: "20" });
    // Display names follow Odoo's "Company, Person" convention for contacts.
    const [p] = await pg.query<{ display_name: string; company: string }>(
      "select p.display_name, c.name as company from res_partner p join res_partner c on c.id = p.parent_id where p.id = 5",
      [],
      db.name,
    );
    expect(p!.display_name.startsWith(`${p!.company}, `)).toBe(true);
    const files = readdirSync(filestore, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    const fnames = await pg.query<{ store_fname: string }>("select store_fname from ir_attachment order by id", [], db.name);
    expect(files.map((f) => path.relative(filestore, path.join(f.parentPath, f.name))).sort()).toEqual(fnames.map((x) => x.store_fname).sort());
  } finally {
    rmSync(filestore, { recursive: true, force: true });
  }
});
