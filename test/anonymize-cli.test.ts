import { runCli } from "@odoo-deploy/cli";
import { test, expect } from "@odoo-deploy/testkit/vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";

async function cli(argv: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) {
  let stdout = "";
  let stderr = "";
  const data: Buffer[] = [];
  const code = await runCli(argv, {
    io: {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      ...(opts.stdin !== undefined ? { stdin: Readable.from([Buffer.from(opts.stdin)]) } : {}),
      stdoutStream: new Writable({ write: (c: Buffer, _e, cb) => (data.push(c), cb()) }),
      env: opts.env ?? {},
      cwd: process.cwd(),
    },
  });
  return { code, stdout, stderr, data: Buffer.concat(data).toString() };
}

test("anonymize check / anonymize / verify through the CLI: exit codes, JSON reports, secrets never printed", async ({ pg, db }) => {
  await pg.query("CREATE TABLE partner (id serial PRIMARY KEY, name text, email text); INSERT INTO partner (name, email) VALUES ('Jane Doe', 'jane@corp.example')", [], db.name);
  const dir = mkdtempSync(path.join(os.tmpdir(), "anon-cli-"));
  const partial = path.join(dir, "partial.yaml");
  writeFileSync(partial, "version: 1\ntables:\n  partner: { columns: { name: name } }\n");
  const full = path.join(dir, "full.yaml");
  writeFileSync(full, "version: 1\ntables:\n  partner: { columns: { name: name, email: email } }\n");

  const refused = await cli(["anonymize", "check", "--source-url", db.url, "--rules", partial, "--json"]);
  expect(refused.code).toBe(1);
  const report = JSON.parse(refused.stdout) as { uncovered: { column: string; suggestion: string }[] };
  expect(report.uncovered).toEqual([expect.objectContaining({ column: "email", suggestion: "email" })]);
  const human = await cli(["anonymize", "check", "--source-url", db.url, "--rules", partial]);
  expect(human.code).toBe(1);
  expect(human.stderr).toMatch(/email: email\s+# text: an e-mail address/);

  const target = `${db.name}_cli`;
  try {
    const env = { ANON_KEY: "very-secret-key-123" };
    const missing = await cli(["anonymize", "--source-url", db.url, "--target-url", pg.url(target), "--rules", full, "--secret-env", "NOPE", "--json"], { env });
    expect(missing.code).toBe(2);
    const ok = await cli(["anonymize", "--source-url", db.url, "--target-url", pg.url(target), "--rules", full, "--secret-env", "ANON_KEY", "--json"], { env });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, published: true, rows: 1 });
    expect(ok.stdout).not.toContain("very-secret-key-123");
    const again = await cli(["anonymize", "--source-url", db.url, "--target-url", pg.url(target), "--rules", full, "--secret-env", "ANON_KEY"], { env });
    expect(again.code).toBe(2); // the target exists and --replace was not given
    expect(again.stderr).toContain("--replace");

    const clean = await cli(["anonymize", "verify", "--source-url", db.url, "--target-url", pg.url(target), "--rules", full, "--canary", "Jane Doe", "--json"]);
    expect(clean.code).toBe(0);
    await pg.query("UPDATE partner SET email = 'jane@corp.example'", [], target);
    const leak = await cli(["anonymize", "verify", "--source-url", db.url, "--target-url", pg.url(target), "--rules", full, "--json"]);
    expect(leak.code).toBe(1);
    expect(JSON.parse(leak.stdout).leaks).toEqual([{ table: "partner", column: "email", count: 1, kind: "original" }]);
  } finally {
    await pg.dropDatabase(target);
  }
});

test("anonymize as a stream filter: stdin to stdout, --json refused", async () => {
  const sql = "CREATE TABLE public.partner (\n    id integer NOT NULL,\n    email text\n);\nCOPY public.partner (id, email) FROM stdin;\n1\tjane@corp.example\n\\.\n";
  const dir = mkdtempSync(path.join(os.tmpdir(), "anon-cli-"));
  const rules = path.join(dir, "r.yaml");
  writeFileSync(rules, "version: 1\nsecret: ${K}\ntables:\n  partner: { columns: { email: email } }\n");
  const json = await cli(["anonymize", "--rules", rules, "--json"], { stdin: sql, env: { K: "k" } });
  expect(json.code).toBe(2);
  const r = await cli(["anonymize", "--rules", rules], { stdin: sql, env: { K: "k" } });
  expect(r.code, r.stderr).toBe(0);
  expect(r.data).toMatch(/^COPY public\.partner \(id, email\) FROM stdin;\n1\t[a-z]+\.[a-z]+\.[a-z0-9]{6}@example\.com\n\\\.\n$/m);
  expect(r.data).not.toContain("jane@corp.example");
  expect(r.stdout).toBe("");
});

test("the stream filter without any secret: a random key for the run, said on stderr; fakes differ between runs, nothing leaks", async () => {
  const sql = "CREATE TABLE public.partner (\n    id integer NOT NULL,\n    email text\n);\nCOPY public.partner (id, email) FROM stdin;\n1\tjane@corp.example\n2\tjohn@corp.example\n\\.\n";
  const dir = mkdtempSync(path.join(os.tmpdir(), "anon-cli-"));
  const rules = path.join(dir, "r.yaml");
  writeFileSync(rules, "version: 1\ntables:\n  partner: { columns: { email: email } }\n");
  const first = await cli(["anonymize", "--rules", rules], { stdin: sql });
  const second = await cli(["anonymize", "--rules", rules], { stdin: sql });
  for (const r of [first, second]) {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no secret given.*random key of this run.*differ from run to run/);
    expect(r.data).toMatch(/^COPY public\.partner \(id, email\) FROM stdin;\n1\t[a-z]+\.[a-z]+\.[a-z0-9]{6}@example\.com\n2\t[a-z]+\.[a-z]+\.[a-z0-9]{6}@example\.com\n\\\.\n$/m);
    expect(r.data).not.toContain("corp.example");
  }
  expect(second.data).not.toBe(first.data);
  // Within one run, one original still gets one fake.
  const twice = sql.replace("2\tjohn@corp.example", "2\tjane@corp.example");
  const same = await cli(["anonymize", "--rules", rules], { stdin: twice });
  const fakes = [...same.data.matchAll(/^\d\t(\S+)$/gm)].map((m) => m[1]);
  expect(fakes).toHaveLength(2);
  expect(fakes[0]).toBe(fakes[1]);
  // With a secret, nothing is said and the fakes repeat.
  const keyed = await cli(["anonymize", "--rules", rules], { stdin: sql, env: { ODOO_DEPLOY_ANONYMIZE_SECRET: "k" } });
  expect(keyed.stderr).not.toMatch(/random key/);
  expect((await cli(["anonymize", "--rules", rules], { stdin: sql, env: { ODOO_DEPLOY_ANONYMIZE_SECRET: "k" } })).data).toBe(keyed.data);
  expect((await cli(["anonymize", "--rules", rules, "--json"], { stdin: sql })).code).toBe(2);
});
