import { expect, test } from "@odoo-deploy/testkit/vitest";
import { preflight } from "./preflight.js";

test("the preflight example passes a clean database and stops a half-migrated one", async ({ labDb, pg }) => {
  expect(await preflight(labDb.url)).toBe(true);
  await pg.query("update ir_module_module set state = 'to install' where name = 'sale_management'", [], labDb.name);
  expect(await preflight(labDb.url)).toBe(false);
});
