import { ConfigError } from "@odoo-deploy/core";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { loadRules } from "./load.js";
import { columnCoverage, tablePlan } from "./match.js";
import { rulesJsonSchema } from "./schema.js";

const text = { type: "text", category: "S" };

describe("loadRules", () => {
  test("the committed JSON Schema matches the zod schema", () => {
    const committed = JSON.parse(readFileSync(fileURLToPath(new URL("../../rules.schema.json", import.meta.url)), "utf8"));
    // Regenerate with: npx tsx packages/anonymizer/scripts/write-rules-schema.ts
    expect(committed).toEqual(rulesJsonSchema());
  });

  test("reports every problem at once as path: message", () => {
    const yaml = [
      "version: 2",
      "secret: ${ANON_SECRET_MISSING}",
      "tables:",
      "  res_partner:",
      "    action: delete",
      "    columns:",
      "      email: emial",
      "      phone: { strategy: mask, keepLast: -1 }",
      "      name: { strategy: bogus }",
    ].join("\n");
    let err: unknown;
    try {
      loadRules({ text: yaml, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "version",
        "secret",
        "tables.res_partner.action",
        "tables.res_partner.columns.email",
        "tables.res_partner.columns.phone.keepLast",
        "tables.res_partner.columns.name.strategy",
      ]),
    );
    expect((err as ConfigError).message).toMatch(/tables\.res_partner\.columns\.phone\.keepLast: /);
  });

  test("YAML syntax errors carry their line", () => {
    expect(() => loadRules({ text: "version: 1\ntables: [\n" })).toThrow(/line \d+/);
  });

  test("interpolates ${VAR} in the secret and resolves tables, globs, columns and type defaults in order", () => {
    const rules = loadRules({
      text: [
        "version: 1",
        "secret: ${S}",
        "types: { jsonb: keep }",
        "columns: { '*_token': null }",
        "tables:",
        "  'res_*': { columns: { email: hash } }",
        "  res_partner: { where: 'active', columns: { email: email, 'x_*': keep } }",
        "  res_users_apikeys: { action: truncate }",
      ].join("\n"),
      env: { S: "from-env" },
    });
    expect(rules.secret).toBe("from-env");
    expect(columnCoverage(rules, "res_partner", "email", text)).toMatchObject({ covered: true, rule: "email" });
    expect(columnCoverage(rules, "res_users", "email", text)).toMatchObject({ covered: true, rule: "hash" });
    expect(columnCoverage(rules, "res_partner", "x_code", text)).toMatchObject({ covered: true, rule: "keep" });
    expect(columnCoverage(rules, "sale_order", "access_token", text)).toMatchObject({ covered: true, rule: "null" });
    expect(columnCoverage(rules, "sale_order", "amount", { type: "numeric", category: "N" })).toMatchObject({ covered: true, rule: "keep" });
    expect(columnCoverage(rules, "sale_order", "meta", { type: "jsonb", category: "U" })).toMatchObject({ covered: true, rule: "keep" });
    expect(columnCoverage(rules, "sale_order", "note", text)).toEqual({ covered: false });
    expect(tablePlan(rules, "res_partner")).toMatchObject({ action: "copy", where: "active" });
    expect(tablePlan(rules, "res_users_apikeys").action).toBe("truncate");
  });
});
