import { describe, expect, test } from "vitest";
import { ManifestSyntaxError, manifestText, parseManifest, parsePythonLiteral } from "./manifest.js";

describe("parsePythonLiteral", () => {
  test("reads comments, trailing commas, implicit concatenation, triple quotes and tuples", () => {
    const src = `# -*- coding: utf-8 -*-
# Copyright 2024 Someone
{
    'name': 'Sale ' "Extras"  # implicit concatenation
        ' Pro',
    "version": '16.0.1.0.0',
    'summary': """Adds
things""",
    'depends': ('sale', 'stock',),   # a tuple with a trailing comma
    'data': [
        'views/a.xml',
        'data/b.csv',
    ],
    'auto_install': ['sale'],
    'installable': True,
    'application': False,
    'images': None,
    'sequence': -10,
    'price': 1.5e2,
    'single': ('x'),
    'escapes': 'tab\\there \\u00e9 \\x41 \\'q\\'',
    'raw': r'a\\b',
    'continued': 'one' \\
        'two',
}
`;
    expect(parsePythonLiteral(src, "m/__manifest__.py")).toEqual({
      name: "Sale Extras Pro",
      version: "16.0.1.0.0",
      summary: "Adds\nthings",
      depends: ["sale", "stock"],
      data: ["views/a.xml", "data/b.csv"],
      auto_install: ["sale"],
      installable: true,
      application: false,
      images: null,
      sequence: -10,
      price: 150,
      single: "x",
      escapes: "tab\there é A 'q'",
      raw: "a\\b",
      continued: "onetwo",
    });
  });

  test("never executes anything: names and calls are errors with file:line:column", () => {
    const src = "{\n  'name': 'x',\n  'version': open('/etc/passwd').read(),\n}";
    let err: unknown;
    try {
      parsePythonLiteral(src, "addons/x/__manifest__.py");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ManifestSyntaxError);
    const e = err as ManifestSyntaxError;
    expect(e.message).toBe("addons/x/__manifest__.py:3:14: 'open' is a name: only literals are allowed (nothing is executed)");
    expect([e.line, e.column, e.code]).toEqual([3, 14, "MANIFEST_SYNTAX"]);
  });

  test.each([
    ["{'a': 'b'", "m.py:1:1: '{' was never closed"],
    ["{'a': 'b\n'}", "m.py:1:7: unterminated string (newline in a single-quoted string)"],
    ["{'a': 1 + 2}", "m.py:1:9: an operation: only a complex number such as 1+2j may be written with + or -"],
    ["{'a': f'x'}", "m.py:1:7: f-strings are not literals (Odoo's ast.literal_eval refuses them)"],
    ["{} {}", "m.py:1:4: unexpected '{' after the value"],
    ["{'a': [1, 2 3]}", "m.py:1:13: expected ',' or ']' to continue the list opened at line 1, found a number"],
    ["\ufeff{}", "m.py:1:1: unexpected U+FEFF"],
    ["{'a': 1 @ 2}", "m.py:1:9: expected ',' or '}' to continue the dict opened at line 1, found '@'"],
  ])("rejects %j", (src, message) => {
    expect(() => parsePythonLiteral(src, "m.py")).toThrow(message);
  });
});

describe("manifestText", () => {
  test("reads UTF-8 with universal newlines; anything else is an error naming where, as Odoo's read fails", () => {
    expect(manifestText(Buffer.from("{'name': 'Caf\u00e9'}\r\n{\r}"), "m.py")).toBe("{'name': 'Café'}\n{\n}");
    const latin1 = Buffer.concat([Buffer.from("{\n  'name': 'Caf"), Buffer.from([0xe9]), Buffer.from("',\n}\n")]);
    expect(() => manifestText(latin1, "addons/x/__manifest__.py")).toThrow("addons/x/__manifest__.py:2:15: not UTF-8 (Odoo reads manifests as UTF-8): byte 0xE9 at offset 16");
    // A byte order mark is kept (Odoo's open() keeps it), and Python then refuses it.
    expect(() => parseManifest(manifestText(Buffer.from("\ufeff{'name': 'x'}"), "m.py"), "m.py")).toThrow("m.py:1:1: unexpected U+FEFF");
  });
});

describe("parseManifest", () => {
  test("manifests of 17 and 18: depends and auto_install as sets or tuples", () => {
    const m = parseManifest("{'name': 'CRM Livechat', 'depends': {'crm', 'im_livechat'}, 'auto_install': ('crm',), 'version': '1.0'}", "crm_livechat/__manifest__.py");
    expect(m).toMatchObject({ depends: ["crm", "im_livechat"], autoInstall: ["crm"], version: "1.0" });
    expect(m.raw.depends).toEqual(["crm", "im_livechat"]);
  });

  test("applies Odoo's defaults and normalises auto_install", () => {
    const m = parseManifest("{'name': 'A', 'depends': ['base'], 'auto_install': True}", "a/__manifest__.py");
    expect(m).toMatchObject({ name: "A", depends: ["base"], installable: true, autoInstall: true });
    expect(parseManifest("{'name': 'B'}", "b").autoInstall).toBe(false);
    expect(parseManifest("{'installable': False, 'version': 1.2}", "c")).toMatchObject({ installable: false, version: "1.2", depends: [] });
  });

  test("rejects a manifest that is not a dict, and wrongly typed keys", () => {
    expect(() => parseManifest("['a']", "x/__manifest__.py")).toThrow("x/__manifest__.py:1:1: a manifest must be a dict");
    expect(() => parseManifest("{'depends': 'base'}", "x/__manifest__.py")).toThrow("x/__manifest__.py: 'depends' must be a list of module names");
  });
});
