/**
 * The TypeScript examples of the core and cli READMEs are type-checked against the published types (the
 * built `dist/*.d.ts`, resolved as a user's project resolves them: no `source` condition), and the core
 * example runs against a real PostgreSQL database.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import ts from "typescript";
import { afterAll, describe } from "vitest";
import { createOdooDemoDatabase, repoRoot } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";

const READMES = ["packages/core/README.md", "packages/cli/README.md"];

/** The ```ts blocks of a Markdown file, with the line each starts on. */
function tsBlocks(file: string): { code: string; line: number }[] {
  const lines = readFileSync(path.join(repoRoot, file), "utf8").split("\n");
  const blocks: { code: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1] !== "```") i++;
    blocks.push({ code: lines.slice(start, i + 1).join("\n"), line: start + 1 });
    i++;
  }
  return blocks;
}

// Inside the repository, so `@odoo-deploy/*` resolve through its node_modules as they would in a user's project.
mkdirSync(path.join(repoRoot, ".tmp"), { recursive: true });
const work = mkdtempSync(path.join(repoRoot, ".tmp", "readme-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const snippets = READMES.flatMap((readme) =>
  tsBlocks(readme).map((b, n) => {
    const file = path.join(work, `${path.basename(path.dirname(readme))}-${n + 1}.ts`);
    writeFileSync(file, `${b.code}\n`);
    return { readme, ...b, file };
  }),
);

describe("README examples", () => {
  test("each README has a TypeScript example", () => {
    for (const readme of READMES) expect(snippets.filter((s) => s.readme === readme).length, readme).toBeGreaterThan(0);
  });

  test("type-check against the published types", () => {
    const base = ts.readConfigFile(path.join(repoRoot, "tsconfig.base.json"), (f) => ts.sys.readFile(f));
    const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, repoRoot);
    const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, declaration: false, sourceMap: false, skipLibCheck: true };
    delete options.customConditions;
    const program = ts.createProgram(snippets.map((s) => s.file), options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const snippet = snippets.find((s) => s.file === d.file?.fileName);
      const where = snippet && d.file && d.start !== undefined ? `${snippet.readme}:${snippet.line + d.file.getLineAndCharacterOfPosition(d.start).line}` : "";
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(diagnostics).toEqual([]);
  });

  test("the core example runs: a pre-deploy gate and a verified backup", async ({ pg, db }) => {
    await createOdooDemoDatabase({ url: db.url, partners: 20 });
    const snippet = snippets.find((s) => s.readme === "packages/core/README.md")!;
    const backups = mkdtempSync(path.join(os.tmpdir(), "readme-backups-"));
    try {
      const r = await execa(process.execPath, ["--import", "tsx", snippet.file], {
        env: { DATABASE_URL: db.url, BACKUP_DIR: backups, PATH: `${pg.binDir}:${process.env.PATH ?? ""}` },
        reject: false,
        timeout: 120_000,
      });
      expect(r.exitCode, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { ok: boolean; path: string; steps: string[] };
      expect(out.ok).toBe(true);
      expect(out.path.startsWith(backups)).toBe(true);
      expect(out.steps).toContain("verify: ok");
      expect(r.stderr).toMatch(/✔ /);
    } finally {
      rmSync(backups, { recursive: true, force: true });
    }
  });
});
