import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { runCaptured } from "../test-helpers.js";

// `odoo-deploy anonymize --input prod.dump --output staging.dump` (the pipeline article's flow, issue 19).

test("anonymize --input/--output: custom to custom on --work-url, custom to zip; exit codes and usage errors", { timeout: 300_000 }, async ({ pg, labDb }) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cli-anon-dump-"));
  try {
    const input = path.join(dir, "prod.dump");
    await run(pg.bin("pg_dump"), ["-Fc", "--no-owner", "-f", input, "-d", labDb.url]);
    const env = { ODOO_DEPLOY_ANONYMIZE_SECRET: "cli-dump-secret" };
    const custom = path.join(dir, "staging.dump");
    const r = await runCaptured(["anonymize", "--input", input, "--output", custom, "--work-url", pg.url("postgres"), "--preset", "odoo", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ ok: true, mode: "dump", format: "custom", output: custom, input: { kind: "custom" } });
    expect(existsSync(custom)).toBe(true);

    const zip = path.join(dir, "staging.zip");
    const z = await runCaptured(["anonymize", "--input", input, "--output", zip, "--format", "zip", "--preset", "odoo"], { env });
    expect(z.code, z.stderr).toBe(0);
    expect(z.stderr).toMatch(/staging\.zip \(zip, .* rows\)/);

    // Usage: an existing output, a half pair, both modes at once, a custom output without a work server.
    expect((await runCaptured(["anonymize", "--input", input, "--output", zip, "--format", "zip", "--preset", "odoo"], { env })).code).toBe(2);
    expect((await runCaptured(["anonymize", "--input", input, "--preset", "odoo"], { env })).stderr).toContain("needs both --input and --output");
    expect((await runCaptured(["anonymize", "--input", input, "--output", path.join(dir, "x.dump"), "--source-url", labDb.url, "--preset", "odoo"], { env })).code).toBe(2);
    const noWork = await runCaptured(["anonymize", "--input", input, "--output", path.join(dir, "y.dump"), "--preset", "odoo"], { env });
    expect(noWork.code).toBe(2);
    expect(noWork.stderr).toContain("--work-url");
    // A garbage input: usage error naming the file.
    const garbage = path.join(dir, "garbage.dump");
    writeFileSync(garbage, "nope");
    const g = await runCaptured(["anonymize", "--input", garbage, "--output", path.join(dir, "z.zip"), "--format", "zip", "--preset", "odoo"], { env });
    expect(g.code).toBe(2);
    expect(g.stderr).toContain(`not a backup: ${garbage}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
