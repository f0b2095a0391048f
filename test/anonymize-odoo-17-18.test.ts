import { anonymizeDatabase, checkRules } from "@odoo-deploy/anonymizer";
import { describe, test, expect } from "@odoo-deploy/testkit/vitest";

// The Odoo preset on the real 17.0 and 18.0 databases of ../shared/odoo17-lab and odoo18-lab.

// Text columns of user-data tables scanned for the source partners' e-mails, phones and streets.
const USER_DATA: Record<string, string[]> = {
  res_partner: ["name", "complete_name", "email", "email_normalized", "phone", "mobile", "phone_sanitized", "street", "street2", "city", "comment"],
  res_users: ["login", "signature"],
  hr_employee: ["name", "work_email", "work_phone", "mobile_phone", "private_email", "private_phone", "private_street"],
  crm_lead: ["contact_name", "partner_name", "email_from", "email_normalized", "phone", "mobile", "phone_sanitized", "street", "street2", "description"],
  mail_message: ["subject", "body", "email_from", "reply_to", "record_name"],
  mail_mail: ["body_html", "email_to", "email_cc", "headers"],
  mail_tracking_value: ["old_value_char", "new_value_char", "old_value_text", "new_value_text"],
};

for (const series of ["17.0", "18.0"] as const) {
  describe(`the Odoo preset on the real ${series} database`, () => {
    test("check passes on the stock database, and still refuses a column of a module it does not know", async ({ pg, labDbOf }) => {
      const db = await labDbOf(series);
      const r = await checkRules({ sourceUrl: db.url, preset: "odoo" });
      expect(r.uncovered).toEqual([]);
      expect(r.invalid).toEqual([]);
      expect(r.orphans).toEqual([]);
      expect(r.ok).toBe(true);
      await pg.query("ALTER TABLE res_partner ADD COLUMN x_loyalty_note varchar", [], db.name);
      const custom = await checkRules({ sourceUrl: db.url, preset: "odoo" });
      expect(custom.ok).toBe(false);
      expect(custom.uncovered.map((u) => `${u.table}.${u.column}`)).toEqual(["res_partner.x_loyalty_note"]);
    });

    test("anonymization leaves no partner e-mail, phone or street in the user-data tables", async ({ pg, labDbOf }) => {
      const db = await labDbOf(series);
      const target = `${db.name}_anon`;
      try {
        const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), preset: "odoo", secret: "lab-secret", jobs: 2 });
        expect(r.ok, JSON.stringify(r.steps)).toBe(true);
        const originals = await pg.query<{ v: string; kind: string }>(
          `SELECT DISTINCT v, kind FROM (
             SELECT email AS v, 'email' AS kind FROM res_partner UNION ALL SELECT phone, 'phone' FROM res_partner
             UNION ALL SELECT mobile, 'phone' FROM res_partner UNION ALL SELECT street, 'street' FROM res_partner) x
            WHERE v IS NOT NULL AND length(v) >= 4`,
          [],
          db.name,
        );
        expect(originals.length).toBeGreaterThan(60);
        const scan = async (name: string) => {
          const leaks: string[] = [];
          for (const [table, cols] of Object.entries(USER_DATA)) {
            const existing = (await pg.query<{ c: string }>("SELECT column_name AS c FROM information_schema.columns WHERE table_name = $1", [table], name)).map((x) => x.c);
            for (const col of cols.filter((c) => existing.includes(c))) {
              const hits = await pg.query<{ v: string; kind: string }>(
                `SELECT o.v, o.kind FROM unnest($1::text[], $2::text[]) AS o(v, kind) WHERE EXISTS (SELECT 1 FROM ${table} t WHERE strpos(t.${col}::text, o.v) > 0)`,
                [originals.map((o) => o.v), originals.map((o) => o.kind)],
                name,
              );
              for (const h of hits) leaks.push(`${table}.${col}: ${h.kind} ${h.v}`);
            }
          }
          return leaks;
        };
        // The scan finds them where they are…
        const inSource = await scan(db.name);
        for (const t of ["res_partner.email", "res_partner.phone", "res_partner.street"]) expect(inSource.some((l) => l.startsWith(`${t}:`)), t).toBe(true);
        // …and none in the copy.
        expect(await scan(target)).toEqual([]);
        expect(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], target)).toEqual(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], db.name));
      } finally {
        await pg.dropDatabase(target);
      }
    }, 180_000);
  });
}
