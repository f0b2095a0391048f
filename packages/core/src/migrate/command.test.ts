import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { buildOdooUpdateArgv } from "./command.js";

describe("buildOdooUpdateArgv", () => {
  test("builds the one-shot update command with every option in odoo-bin's syntax", () => {
    expect(
      buildOdooUpdateArgv({
        odooBin: ["python3", "/opt/odoo/odoo-bin"],
        odooConfig: "/etc/odoo/odoo.conf",
        dbName: "odoo_prod",
        update: ["sale", "crm"],
        install: ["lab_demo"],
        addonsPath: ["/opt/odoo/addons", "/srv/custom"],
        i18nOverwrite: true,
        extraArgs: ["--log-level=info"],
      }),
    ).toEqual([
      "python3", "/opt/odoo/odoo-bin", "-c", "/etc/odoo/odoo.conf", "-d", "odoo_prod", "-u", "sale,crm", "-i", "lab_demo",
      "--stop-after-init", "--no-http", "--addons-path", "/opt/odoo/addons,/srv/custom", "--i18n-overwrite", "--log-level=info",
    ]);
    expect(buildOdooUpdateArgv({ dbName: "db", update: ["all"] })).toEqual(["odoo-bin", "-d", "db", "-u", "all", "--stop-after-init", "--no-http"]);
  });

  test("refuses nothing to do, names that are not module names, and option-like database names", () => {
    expect(() => buildOdooUpdateArgv({ dbName: "db" })).toThrow(expect.objectContaining({ code: "NOTHING_TO_MIGRATE" }));
    expect(() => buildOdooUpdateArgv({ dbName: "db", update: ["a,b"] })).toThrow(expect.objectContaining({ code: "INVALID_MODULE_NAME" }));
    expect(() => buildOdooUpdateArgv({ dbName: "--help", update: ["a"] })).toThrow(expect.objectContaining({ code: "INVALID_DB_NAME" }));
  });
});
