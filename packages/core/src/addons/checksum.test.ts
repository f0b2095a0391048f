import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { computeAddonChecksum, fnmatchToRegExp, listChecksumFiles } from "./checksum.js";

/** sha1 of each relative path followed by the file's bytes, in the given order, computed by `sha1sum`. */
async function shellChecksum(dir: string, files: string[]): Promise<string> {
  const script = 'for f in "$@"; do printf "%s" "$f"; cat "$f"; done | sha1sum';
  const r = await execa("bash", ["-c", script, "hash", ...files], { cwd: dir });
  return r.stdout.split(" ")[0]!;
}

let root: string;
let addon: string;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "checksum-"));
  addon = path.join(root, "lab_x");
  const files: Record<string, string> = {
    "__manifest__.py": "{'name': 'Lab X', 'depends': ['base']}\n",
    "__init__.py": "from . import models\n",
    "Z_upper.py": "# sorts before _ by code point\n",
    "zz_after.py": "# a root file: before every subdirectory's files\n",
    "a.pyc": "compiled",
    "data/empty.xml": "",
    "i18n/fr.po": 'msgid "a"\nmsgstr "à"\n',
    "i18n/fr_BE.po": 'msgid "a"\nmsgstr "á"\n',
    "i18n/de.po": 'msgid "a"\nmsgstr "ä"\n',
    "i18n/lab_x.pot": 'msgid "a"\n',
    "i18n_extra/es.po": 'msgid "a"\n',
    "models/__init__.py": "from . import partner\n",
    "models/partner.py": "class Partner: pass\n",
    "models/sub/deep.py": "# deep\n",
    "models/sub/cache.pyo": "x",
    "static/src/x.js": "1;\n",
    "tests/test_a.py": "def test(): pass\n",
    "readme/tests/keep.txt": "only top-level tests/ is excluded\n",
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(addon, rel)), { recursive: true });
    writeFileSync(path.join(addon, rel), content);
  }
  mkdirSync(path.join(root, "elsewhere"));
  writeFileSync(path.join(root, "elsewhere", "hidden.py"), "# never hashed: behind a symlinked directory\n");
  symlinkSync("../elsewhere", path.join(addon, "linked"));
  symlinkSync("models/partner.py", path.join(addon, "file_link.py"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("click-odoo-update checksums", () => {
  // The order written out by hand from ODOO-FACTS.md: os.walk top-down, a directory's files (sorted by code
  // point) before its subdirectories (sorted); symlinked directories not entered; excluded patterns and
  // inactive languages' .po files skipped.
  const withLanguages = [
    "Z_upper.py",
    "__init__.py",
    "__manifest__.py",
    "file_link.py",
    "zz_after.py",
    "data/empty.xml",
    "i18n/fr.po",
    "i18n/fr_BE.po",
    "models/__init__.py",
    "models/partner.py",
    "models/sub/deep.py",
    "readme/tests/keep.txt",
  ];

  test("the file list and hash match an independent sha1sum over the documented order (active languages en_US, fr_FR)", async () => {
    const options = { languages: ["en_US", "fr_FR"] };
    expect(await listChecksumFiles(addon, options)).toEqual(withLanguages);
    const expected = await shellChecksum(addon, withLanguages);
    expect(expected).toMatch(/^[0-9a-f]{40}$/);
    expect(await computeAddonChecksum(addon, options)).toBe(expected);
  });

  test("without active languages every .po file counts; custom exclude patterns replace the defaults", async () => {
    const all = [
      "Z_upper.py",
      "__init__.py",
      "__manifest__.py",
      "file_link.py",
      "zz_after.py",
      "data/empty.xml",
      "i18n/de.po",
      "i18n/fr.po",
      "i18n/fr_BE.po",
      "i18n_extra/es.po",
      "models/__init__.py",
      "models/partner.py",
      "models/sub/deep.py",
      "readme/tests/keep.txt",
    ];
    expect(await computeAddonChecksum(addon, {})).toBe(await shellChecksum(addon, all));
    const custom = await listChecksumFiles(addon, { excludePatterns: ["*.py", "*.po*"] });
    expect(custom).toEqual(["a.pyc", "data/empty.xml", "models/sub/cache.pyo", "readme/tests/keep.txt", "static/src/x.js"]);
  });

  test("fnmatch semantics: * crosses directories, [!x] negates", () => {
    expect(fnmatchToRegExp("static/*").test("static/src/js/a.js")).toBe(true);
    expect(fnmatchToRegExp("*.pyc").test("models/a.pyc")).toBe(true);
    expect(fnmatchToRegExp("tests/*").test("readme/tests/a")).toBe(false);
    expect(fnmatchToRegExp("i18n/[!d]*.po").test("i18n/de.po")).toBe(false);
    expect(fnmatchToRegExp("i18n/[!d]*.po").test("i18n/fr.po")).toBe(true);
  });
});
