import { LAB_VERSIONS } from "@odoo-deploy/testkit";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { inspectDatabase } from "./inspect.js";

describe("inspectDatabase (`status`) on the real 16.0, 17.0 and 18.0 databases", () => {
  for (const series of LAB_VERSIONS) {
    test(`${series}: series, module states and pending modules as ir_module_module holds them`, async ({ pg, labDbOf }) => {
      const db = await labDbOf(series);
      const states = await pg.query<{ state: string; n: number }>("SELECT state, count(*)::int AS n FROM ir_module_module GROUP BY state", [], db.name);
      const r = await inspectDatabase({ dbUrl: db.url });
      expect(r).toMatchObject({ ok: true, isOdoo: true, odooVersion: `${series}.1.3`, odooSeries: series, pendingModules: [], neutralized: false });
      expect(r.moduleStates).toEqual(Object.fromEntries(states.map((s) => [s.state, s.n])));
      expect(r.moduleStates.installed).toBeGreaterThan(40);

      await pg.query("UPDATE ir_module_module SET state = 'to upgrade' WHERE name = 'contacts'", [], db.name);
      await pg.query("INSERT INTO ir_config_parameter (key, value) VALUES ('database.is_neutralized', 'true')", [], db.name);
      const after = await inspectDatabase({ dbUrl: db.url });
      expect(after).toMatchObject({ ok: false, neutralized: true, pendingModules: [{ name: "contacts", state: "to upgrade" }] });
      expect(after.checks.find((c) => c.status === "failed")?.detail).toBe("modules left half-updated: contacts (to upgrade)");
    });
  }
});
