import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { runCaptured } from "../test-helpers.js";

test("anonymize check --write-rules: a rule for every uncovered column, which then covers the schema; never overwritten", async ({ pg, db }) => {
  await pg.query(
    `CREATE TABLE partner (id serial PRIMARY KEY, name text, email text, "Phone Number" text, notes jsonb);
     CREATE TABLE mail_message (id serial PRIMARY KEY, body text)`,
    [],
    db.name,
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), "cli-write-rules-"));
  try {
    const rules = path.join(dir, "rules.yaml");
    const r = await runCaptured(["anonymize", "check", "--source-url", db.url, "--write-rules", rules, "--json"], { cwd: dir });
    // Still not covered (exit 1): the file is a suggestion to review, not in force yet.
    expect(r.code, r.stderr).toBe(1);
    expect(r.json()).toMatchObject({ ok: false, rulesWritten: rules });
    const text = readFileSync(rules, "utf8");
    expect(text).toMatch(/^# Suggested anonymization rules for 5 columns/);
    expect(text).toContain("review every one before use");
    expect(text).toMatch(/^ {6}email: email {2}# text: /m);
    expect(text).toContain('"Phone Number":');

    const covered = await runCaptured(["anonymize", "check", "--source-url", db.url, "--rules", rules, "--json"]);
    expect(covered.code, covered.stdout).toBe(0);
    expect(covered.json()).toMatchObject({ ok: true, uncovered: [] });

    writeFileSync(rules, "# reviewed by hand\n");
    const again = await runCaptured(["anonymize", "check", "--source-url", db.url, "--write-rules", rules]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("exists; nothing was written");
    expect(readFileSync(rules, "utf8")).toBe("# reviewed by hand\n");
    const forced = await runCaptured(["anonymize", "check", "--source-url", db.url, "--write-rules", rules, "--force"]);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain(`Suggested rules written to ${rules}`);
    expect(readFileSync(rules, "utf8")).toContain("version: 1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
