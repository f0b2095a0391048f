/**
 * Compares odoo-deploy's manifest reader with Python's `ast.literal_eval` (what Odoo runs) on every
 * `__manifest__.py` / `__openerp__.py` under the given directories — an Odoo source tree, OCA repositories:
 *
 *     npx tsx --conditions=source packages/core/scripts/check-manifests.ts DIR [DIR…] [--show N]
 *
 * Each file is read as Odoo reads it (strict UTF-8, universal newlines) by both sides. Prints how many Python
 * reads, how many we read, and every disagreement (a value that differs, or one side refusing what the other
 * reads); exits 1 when there is one. Needs python3.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { canonicalLiteral, python3UnavailableReason, pythonLiteralEval, sameCanonical, type Canonical } from "@odoo-deploy/testkit";
import { manifestText, parseManifest } from "../src/addons/manifest.js";
import { readPythonLiteral } from "../src/addons/python-literal.js";

const args = process.argv.slice(2);
const showAt = args.indexOf("--show");
const show = showAt >= 0 ? Number(args.splice(showAt, 2)[1]) : 20;
if (args.length === 0) {
  console.error("usage: check-manifests.ts DIR [DIR…] [--show N]");
  process.exit(2);
}
const noPython = python3UnavailableReason();
if (noPython) {
  console.error(noPython);
  process.exit(3);
}

const files: string[] = [];
const walk = (dir: string) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name !== ".git" && e.name !== "node_modules") walk(path.join(dir, e.name));
    else if (e.isFile() && (e.name === "__manifest__.py" || e.name === "__openerp__.py")) files.push(path.join(dir, e.name));
  }
};
for (const d of args) walk(path.resolve(d));
files.sort();

const python = await pythonLiteralEval(files.map((file) => ({ file })));
let ours = 0;
let theirs = 0;
let typed = 0;
const disagree: string[] = [];
for (const [i, file] of files.entries()) {
  let value: Canonical | undefined;
  let error: string | undefined;
  try {
    value = canonicalLiteral(readPythonLiteral(manifestText(readFileSync(file), file), file));
    ours++;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const py = python[i]!;
  if (py.ok) theirs++;
  const same = py.ok ? value !== undefined && sameCanonical(value, py.value) : value === undefined;
  if (!same) {
    disagree.push(`${file}\n  python: ${py.ok ? JSON.stringify(py.value).slice(0, 200) : py.error}\n  ours:   ${error ?? JSON.stringify(value).slice(0, 200)}`);
  }
  // Beyond the literal: the keys planning reads have the types it needs.
  if (value !== undefined) {
    try {
      parseManifest(manifestText(readFileSync(file), file), file);
      typed++;
    } catch {
      /* counted as not typed */
    }
  }
}
console.log(`${files.length} manifests under ${args.join(", ")}`);
console.log(`  Python's ast.literal_eval reads ${theirs}, odoo-deploy reads ${ours}; ${disagree.length} disagree`);
console.log(`  parseManifest accepts ${typed} (depends, installable, auto_install, version of the expected types)`);
for (const d of disagree.slice(0, show)) console.log(d);
if (disagree.length > show) console.log(`  … and ${disagree.length - show} more`);
process.exit(disagree.length > 0 ? 1 : 0);
