import { anonymizeDatabase, checkRules } from "@odoo-deploy/anonymizer";
import { test, expect } from "@odoo-deploy/testkit/vitest";

test("check --preset odoo passes on the real Odoo 16 database with no extra rules", async ({ labDb }) => {
  const r = await checkRules({ sourceUrl: labDb.url, preset: "odoo" });
  expect(r.uncovered).toEqual([]);
  expect(r.orphans).toEqual([]);
  expect(r.invalid).toEqual([]);
  expect(r.ok).toBe(true);
});

// Tables holding user data, and the text columns scanned there for original values.
const USER_DATA: Record<string, string[]> = {
  res_partner: ["name", "display_name", "commercial_company_name", "company_name", "email", "email_normalized", "phone", "mobile", "street", "street2", "city", "comment", "phone_sanitized"],
  res_users: ["login", "signature"],
  hr_employee: ["name", "work_email", "work_phone", "mobile_phone", "emergency_contact", "emergency_phone", "spouse_complete_name", "notes"],
  resource_resource: ["name"],
  crm_lead: ["name", "contact_name", "partner_name", "email_from", "email_normalized", "phone", "mobile", "street", "street2", "description", "phone_sanitized"],
  mail_message: ["subject", "body", "email_from", "reply_to", "record_name"],
  mail_mail: ["body_html", "email_to", "email_cc", "headers"],
  mail_tracking_value: ["old_value_char", "new_value_char", "old_value_text", "new_value_text"],
  ir_attachment: ["index_content", "description"],
};

test("the Odoo preset on the real lab database: counts and foreign keys kept, no partner data left, mail passwords gone", async ({ pg, labDb }) => {
  const target = `${labDb.name}_anon`;
  try {
    const r = await anonymizeDatabase({ sourceUrl: labDb.url, targetUrl: pg.url(target), preset: "odoo", secret: "lab-secret", jobs: 2 });
    expect(r.ok, JSON.stringify(r.steps)).toBe(true);
    // Row counts: identical except the tables the preset empties on purpose (API keys, logs, wizards…).
    const count = async (db: string) =>
      Object.fromEntries(
        (await pg.query<{ t: string; n: number }>(
          `SELECT c.relname AS t, (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM public.' || quote_ident(c.relname), false, true, '')))[1]::text::int AS n
             FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' AND c.relkind = 'r'`,
          [], db,
        )).map((x) => [x.t, x.n]),
      );
    const before = await count(labDb.name);
    const after = await count(target);
    const emptied = new Set(r.tables.filter((t) => t.action === "truncate").map((t) => t.table));
    const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
    expect(changed.filter((t) => !emptied.has(t) && t !== "ir_config_parameter")).toEqual([]);
    expect(before.ir_config_parameter! - after.ir_config_parameter!).toBe(
      (await pg.query("SELECT 1 FROM ir_config_parameter WHERE key = 'database.enterprise_code'", [], labDb.name)).length,
    );
    expect(before.res_partner).toBe(66);
    // Foreign keys: post-data re-created (and so validated) every one; none is missing.
    const fks = (db: string) => pg.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_constraint WHERE contype = 'f' AND convalidated", [], db);
    expect(await fks(target)).toEqual(await fks(labDb.name));

    // No e-mail, phone or street of a source partner, and no partner name, in the user-data tables.
    const originals = await pg.query<{ v: string; kind: string }>(
      `SELECT DISTINCT v, kind FROM (
         SELECT email AS v, 'email' AS kind FROM res_partner UNION ALL SELECT phone, 'phone' FROM res_partner
         UNION ALL SELECT mobile, 'phone' FROM res_partner UNION ALL SELECT street, 'street' FROM res_partner
         UNION ALL SELECT name, 'name' FROM res_partner) x WHERE v IS NOT NULL AND length(v) >= 4`,
      [], labDb.name,
    );
    expect(originals.length).toBeGreaterThan(100);
    const kept = new Set((await pg.query<{ name: string }>("SELECT name FROM res_company", [], labDb.name)).map((x) => x.name)); // documented: the company's own name is kept in res_company
    const scan = async (db: string) => {
      const leaks: string[] = [];
      for (const [table, cols] of Object.entries(USER_DATA)) {
        const existing = (await pg.query<{ c: string }>("SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1", [table], db)).map((x) => x.c);
        for (const col of cols.filter((c) => existing.includes(c))) {
          const hits = await pg.query<{ v: string; kind: string }>(
            `SELECT o.v, o.kind FROM unnest($1::text[], $2::text[]) AS o(v, kind)
              WHERE EXISTS (SELECT 1 FROM ${table} t WHERE strpos(t.${col}::text, o.v) > 0)`,
            [originals.map((o) => o.v), originals.map((o) => o.kind)], db,
          );
          for (const h of hits) if (!(h.kind === "name" && kept.has(h.v))) leaks.push(`${table}.${col}: ${h.kind} ${h.v}`);
        }
      }
      return leaks;
    };
    // The scan finds the data where it is (the source), in every kind and in messages and tracking values too…
    const inSource = await scan(labDb.name);
    for (const t of ["res_partner.email", "res_partner.street", "crm_lead.email_from", "mail_message.body", "mail_message.email_from", "hr_employee.name"]) {
      expect(inSource.some((l) => l.startsWith(`${t}:`)), t).toBe(true);
    }
    // …and none of it in the anonymized copy.
    expect(await scan(target)).toEqual([]);

    // Mail servers' credentials are gone; users can log in with the configured plain password; admin login kept.
    expect(await pg.query("SELECT smtp_user, smtp_pass FROM ir_mail_server", [], target)).toEqual([{ smtp_user: null, smtp_pass: null }]);
    expect(await pg.query("SELECT \"user\", password FROM fetchmail_server", [], target)).toEqual([{ user: null, password: null }]);
    const users = await pg.query<{ id: number; login: string; password: string | null }>("SELECT id, login, password FROM res_users ORDER BY id", [], target);
    expect(users.find((u) => u.id === 2)?.login).toBe("admin");
    expect(users.filter((u) => u.password !== null).every((u) => u.password === "admin")).toBe(true);
    expect(await pg.query("SELECT count(*)::int AS n FROM res_users_apikeys", [], target)).toEqual([{ n: 0 }]);
    const params = await pg.query<{ key: string; value: string }>("SELECT key, value FROM ir_config_parameter WHERE key IN ('database.secret', 'database.uuid') ORDER BY key", [], target);
    const srcParams = await pg.query<{ key: string; value: string }>("SELECT key, value FROM ir_config_parameter WHERE key IN ('database.secret', 'database.uuid') ORDER BY key", [], labDb.name);
    expect(params.map((p) => p.key)).toEqual(srcParams.map((p) => p.key));
    for (const [i, p] of params.entries()) expect(p.value).not.toBe(srcParams[i]!.value);
    // Translations stay jsonb objects with their languages.
    expect(await pg.query("SELECT count(*)::int AS n FROM ir_attachment WHERE index_content IS NOT NULL", [], target)).toEqual([{ n: 0 }]);
  } finally {
    await pg.dropDatabase(target);
  }
}, 180_000);
