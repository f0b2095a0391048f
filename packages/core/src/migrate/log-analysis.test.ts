import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { analyzeOdooLog, OdooLogAnalyzer, type OdooLogFindingKind } from "./log-analysis.js";
import { parseOdooLog, parseOdooLogLine } from "./log-parser.js";

/**
 * Every real odoo-bin log of ../shared/odoo16-lab/logs with the classification ODOO-FACTS.md gives it.
 * A log added there without an entry here fails the "covers every log" test.
 */
const EXPECTED: Record<string, { kinds: OdooLogFindingKind[]; modulesLoaded: string[] }> = {
  "exp-a_update_contacts.log": {
    kinds: [],
    modulesLoaded: ["contacts", "crm", "crm_sms", "iap_crm", "crm_iap_enrich", "crm_iap_mine", "sale_crm"],
  },
  "exp-b1_install_lab_demo.log": { kinds: [], modulesLoaded: ["lab_demo"] },
  "exp-b2_update_lab_demo.log": { kinds: [], modulesLoaded: ["lab_demo"] },
  "exp-d5_update_uninstalled.log": { kinds: [], modulesLoaded: ["lab_demo"] },
  "exp-c1_syntax_error.log": {
    kinds: ["module-load-failed", "error-record", "registry-failed", "python-error", "database-init-failed"],
    modulesLoaded: ["lab_demo"],
  },
  "exp-c2_bad_view_field.log": {
    kinds: ["registry-failed", "view-error", "database-init-failed"],
    modulesLoaded: ["lab_demo"],
  },
  "exp-c3_bad_xmlid.log": {
    kinds: ["registry-failed", "missing-external-id", "database-init-failed"],
    modulesLoaded: ["lab_demo"],
  },
  "exp-d1_unknown_module.log": { kinds: ["invalid-module-names"], modulesLoaded: [] },
  "exp-d3_missing_dependency.log": {
    kinds: ["registry-failed", "missing-dependency", "database-init-failed"],
    modulesLoaded: [],
  },
  "exp-d4_not_installable.log": { kinds: ["not-installable", "inconsistent-states"], modulesLoaded: [] },
  // A server (no -u) started on broken code: every request retries the registry and logs it again.
  "exp-d2-server.log": {
    kinds: [
      "module-load-failed",
      "error-record",
      "registry-failed",
      "python-error",
      "database-init-failed",
      "module-load-failed",
      "error-record",
      "registry-failed",
      "python-error",
      "error-record",
    ],
    modulesLoaded: [],
  },
};

const read = (shared: string, name: string) => readFileSync(path.join(shared, "odoo16-lab/logs", name), "utf8");

describe("the real Odoo 16 logs", () => {
  test("covers every log of the lab", ({ shared }) => {
    const logs = readdirSync(path.join(shared, "odoo16-lab/logs")).filter((f) => f.endsWith(".log"));
    expect(logs.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    test(`classifies ${file}`, ({ shared }) => {
      const s = analyzeOdooLog(read(shared, file));
      expect(s.odooVersion).toBe("16.0");
      expect(s.findings.map((f) => f.kind)).toEqual(expected.kinds);
      expect(s.modules.map((m) => m.name)).toEqual(expected.modulesLoaded);
      // A clean log is one where nothing above INFO was logged, and the registry finished loading.
      if (expected.kinds.length === 0) {
        expect(s.notable).toEqual([]);
        expect(s.registryLoadedMs).toBeGreaterThan(0);
      }
    });
  }

  test("the silent failures are named with their modules", ({ shared }) => {
    const d1 = analyzeOdooLog(read(shared, "exp-d1_unknown_module.log"));
    expect(d1.findings[0]).toMatchObject({ kind: "invalid-module-names", level: "WARNING", modules: ["lab_demoo"], line: 10 });
    const d4 = analyzeOdooLog(read(shared, "exp-d4_not_installable.log"));
    expect(d4.findings).toMatchObject([
      { kind: "not-installable", modules: ["lab_demo"], logger: "odoo.modules.graph" },
      { kind: "inconsistent-states", modules: ["lab_demo"], level: "ERROR" },
    ]);
  });

  test("crashes carry the cause from the traceback", ({ shared }) => {
    const c1 = analyzeOdooLog(read(shared, "exp-c1_syntax_error.log"));
    expect(c1.findings.find((f) => f.kind === "python-error")).toMatchObject({
      message: "SyntaxError: '(' was never closed",
      exception: { type: "SyntaxError", message: "'(' was never closed" },
    });
    expect(c1.findings.find((f) => f.kind === "module-load-failed")?.modules).toEqual(["lab_demo"]);
    expect(c1.findings.find((f) => f.kind === "database-init-failed")?.message).toBe("Failed to initialize database `odoo_prod`.");

    const c2 = analyzeOdooLog(read(shared, "exp-c2_bad_view_field.log"));
    const view = c2.findings.find((f) => f.kind === "view-error")!;
    expect(view.message).toBe('Field "x_lab_nonexistent" does not exist in model "res.partner"');
    expect(view.file).toBe("/tmp/odoo-lab/custom_addons/lab_demo/views/res_partner_views.xml:3");
    expect(view.exception?.type).toBe("odoo.tools.convert.ParseError");
    // The multi-line exception message is kept whole, up to the view error context.
    expect(view.exception?.message).toContain("'xmlid': 'view_partner_form_lab_demo'}");

    const c3 = analyzeOdooLog(read(shared, "exp-c3_bad_xmlid.log"));
    expect(c3.findings.find((f) => f.kind === "missing-external-id")).toMatchObject({
      message: "External ID not found in the system: base.lab_no_such_partner",
      file: "/tmp/odoo-lab/custom_addons/lab_demo/data/lab_demo_data.xml:10",
    });
    // The last exception of the chain is the ParseError, whose message spans the record's XML.
    expect(c3.findings[0]?.exception?.message).toMatch(/^while parsing .*lab_demo_data\.xml:10, somewhere inside\n<record id="lab_partner_bad"/);

    const d3 = analyzeOdooLog(read(shared, "exp-d3_missing_dependency.log"));
    expect(d3.findings.find((f) => f.kind === "missing-dependency")).toMatchObject({
      modules: ["lab_demo", "lab_missing_dep"],
      message: "You try to upgrade the module lab_demo that depends on the module: lab_missing_dep.",
      exception: { type: "odoo.exceptions.UserError" },
    });
  });

  test("module progress and per-module durations", ({ shared }) => {
    const a = analyzeOdooLog(read(shared, "exp-a_update_contacts.log"));
    expect(a.modules[0]).toEqual({ name: "contacts", index: 22, total: 64, durationMs: 480, queries: 212 });
    expect(a.modules[1]).toEqual({ name: "crm", index: 44, total: 64, durationMs: 2650, queries: 1891 });
    expect(a.registryLoadedMs).toBe(10649);
    expect(a.records).toBe(109);
    // A failed load has a start and no end.
    const c1 = analyzeOdooLog(read(shared, "exp-c1_syntax_error.log"));
    expect(c1.modules).toEqual([{ name: "lab_demo", index: 34, total: 65 }]);
  });

  test("streaming line by line gives the same records as the whole text, and signals as it goes", ({ shared }) => {
    const text = read(shared, "exp-c3_bad_xmlid.log");
    const kinds: string[] = [];
    const a = new OdooLogAnalyzer((s) => kinds.push(s.kind));
    for (const l of text.split("\n")) a.push(l);
    a.end();
    expect(a.summary()).toEqual(analyzeOdooLog(text));
    expect(kinds.filter((k) => k === "record")).toHaveLength(23);
    expect(kinds).toContain("module-start");
    expect(kinds.filter((k) => k === "finding")).toHaveLength(3);
  });
});

/** The real logs of ../shared/odoo17-lab and odoo18-lab (same experiments on both series). */
const EXPECTED_17_18: Record<string, { kinds: OdooLogFindingKind[]; modulesLoaded: string[] }> = {
  "exp-a-update-contacts.log": { kinds: [], modulesLoaded: ["contacts", "crm", "crm_sms", "iap_crm", "crm_iap_enrich", "crm_iap_mine"] },
  "exp-b-update-typo.log": { kinds: ["invalid-module-names"], modulesLoaded: [] },
  "exp-c1-install-lab_demo.log": { kinds: [], modulesLoaded: ["lab_demo"] },
  // Unlike 16 no CRITICAL record carries the exception text (no error-record).
  "exp-c2-syntax-error.log": { kinds: ["module-load-failed", "registry-failed", "python-error", "database-init-failed"], modulesLoaded: ["lab_demo"] },
};
// 18 prints the traceback under the database-init record only, so the cause is found there, last.
const SYNTAX_ERROR_18: OdooLogFindingKind[] = ["module-load-failed", "registry-failed", "database-init-failed", "python-error"];

for (const [series, nightly] of [
  ["17", "17.0-20240709"],
  ["18", "18.0-20250506"],
] as const) {
  describe(`the real Odoo ${series}.0 logs`, () => {
    const dir = (shared: string) => path.join(shared, `odoo${series}-lab/logs`);
    test("covers every log of the lab", ({ shared }) => {
      expect(readdirSync(dir(shared)).filter((f) => f.endsWith(".log")).sort()).toEqual(Object.keys(EXPECTED_17_18).sort());
    });

    for (const [file, expected] of Object.entries(EXPECTED_17_18)) {
      test(`classifies ${file}`, ({ shared }) => {
        const s = analyzeOdooLog(readFileSync(path.join(dir(shared), file), "utf8"));
        expect(s.odooVersion).toBe(nightly);
        expect(s.findings.map((f) => f.kind)).toEqual(series === "18" && file === "exp-c2-syntax-error.log" ? SYNTAX_ERROR_18 : expected.kinds);
        expect(s.modules.map((m) => m.name)).toEqual(expected.modulesLoaded);
        if (expected.kinds.length === 0) {
          expect(s.notable).toEqual([]);
          expect(s.registryLoadedMs).toBeGreaterThan(0);
        }
      });
    }

    test("the syntax error is named with its cause and module, once", ({ shared }) => {
      const s = analyzeOdooLog(readFileSync(path.join(dir(shared), "exp-c2-syntax-error.log"), "utf8"));
      expect(s.findings.filter((f) => f.kind === "python-error")).toEqual([
        expect.objectContaining({ message: "SyntaxError: invalid syntax", exception: { type: "SyntaxError", message: "invalid syntax" } }),
      ]);
      expect(s.findings.find((f) => f.kind === "module-load-failed")?.modules).toEqual(["lab_demo"]);
      expect(s.findings.find((f) => f.kind === "database-init-failed")?.message).toBe(`Failed to initialize database \`odoo${series}_exp\`.`);
      // "Transient module states were reset" is a warning, not a finding of its own.
      expect(s.notable.map((n) => n.level)).toEqual(["CRITICAL", "WARNING", "ERROR", "CRITICAL"]);
    });

    test("progress and durations of the update", ({ shared }) => {
      const a = analyzeOdooLog(readFileSync(path.join(dir(shared), "exp-a-update-contacts.log"), "utf8"));
      expect(a.modules[0]).toEqual(series === "17" ? { name: "contacts", index: 21, total: 44, durationMs: 640, queries: 226 } : { name: "contacts", index: 21, total: 46, durationMs: 300, queries: 222 });
      const b = analyzeOdooLog(readFileSync(path.join(dir(shared), "exp-b-update-typo.log"), "utf8"));
      expect(b.findings).toMatchObject([{ kind: "invalid-module-names", level: "WARNING", modules: ["contactss"], line: series === "17" ? 10 : 11 }]);
    });
  });
}

test("module progress is signalled when its line arrives, before the next record", () => {
  const seen: string[] = [];
  const a = new OdooLogAnalyzer((s) => seen.push(s.kind === "module-start" ? `start ${s.module.name}` : s.kind));
  a.push("2026-11-27 08:53:21,167 16608 INFO odoo_prod odoo.modules.loading: Loading module lab_demo (34/65) ");
  expect(seen).toEqual(["start lab_demo"]);
  a.end();
  expect(seen).toEqual(["start lab_demo", "record"]);
});

test("Odoo 17+ logs a module's start at DEBUG only: its end alone gives progress and duration", () => {
  const s = analyzeOdooLog(
    [
      "2026-11-27 08:53:21,167 1 INFO db odoo.modules.loading: loading 65 modules... ",
      "2026-11-27 08:53:21,569 1 INFO db odoo.modules.loading: Module lab_demo loaded in 0.40s, 81 queries (+81 other) ",
      "2026-11-27 08:53:21,569 1 INFO db odoo.modules.loading: 65 modules loaded in 0.40s, 81 queries (+81 extra) ",
    ].join("\n"),
  );
  expect(s.modules).toEqual([{ name: "lab_demo", durationMs: 400, queries: 81 }]);
  expect(s.findings).toEqual([]);
});

describe("parseOdooLogLine", () => {
  test("reads every field; `?` is no database; Odoo's trailing space is dropped", () => {
    expect(parseOdooLogLine("2026-11-27 08:52:59,789 16522 INFO ? odoo: Odoo version 16.0 ", 1)).toEqual({
      timestamp: "2026-11-27 08:52:59,789",
      pid: 16522,
      level: "INFO",
      database: null,
      logger: "odoo",
      message: "Odoo version 16.0",
      extraLines: [],
      line: 1,
    });
  });

  test("continuation lines and unknown levels are not records", () => {
    expect(parseOdooLogLine("  File \"/x.py\", line 1, in <module>")).toBeUndefined();
    expect(parseOdooLogLine("2026-11-27 08:52:59,789 16522 NOTICE db x: y")).toBeUndefined();
  });

  test("colour codes of a terminal are ignored", () => {
    const r = parseOdooLogLine("2026-11-27 08:52:59,789 16522 \x1b[1;31m\x1b[1;49mERROR\x1b[0m db odoo.x: boom ");
    expect(r).toMatchObject({ level: "ERROR", database: "db", message: "boom" });
  });

  test("text before the first record is kept as preamble; a traceback ends with its last exception", () => {
    const text = [
      "Traceback (most recent call last):",
      '  File "odoo-bin", line 5, in <module>',
      "ModuleNotFoundError: No module named 'odoo'",
    ].join("\n");
    expect(parseOdooLog(text)).toEqual([]);
    const a = new OdooLogAnalyzer();
    for (const l of text.split("\n")) a.push(l);
    a.end();
    expect(a.summary().preamble).toHaveLength(3);

    const chained = parseOdooLog(
      [
        "2026-11-27 08:52:59,789 1 ERROR db odoo.x: failed ",
        "Traceback (most recent call last):",
        '  File "a.py", line 1, in f',
        "KeyError: 'x'",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        '  File "b.py", line 2, in g',
        "    raise ValueError('no')",
        "ValueError: no",
        "",
      ].join("\n"),
    );
    expect(chained[0]?.exception).toEqual({ type: "ValueError", message: "no" });
  });
});
