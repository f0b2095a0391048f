import { describe, expect, test } from "vitest";
import { adaptVersion, checkPythonBrackets } from "./modules.js";
import { parsePythonLiteral } from "./pylit.js";
import { descendants, parseXml } from "./xml.js";

describe("the double's readers", () => {
  test("manifests: comments, trailing commas, triple quotes, adjacent strings, tuples, booleans", () => {
    const src = `# -*- coding: utf-8 -*-
{
    'name': "Lab" ' Demo',  # adjacent literals
    'version': '1.3',
    'summary': """multi
line""",
    'depends': ('base', 'mail',),
    'auto_install': ['mail'],
    'installable': False,
    'price': 9.5,
    'images': [],
}
`;
    expect(parsePythonLiteral(src)).toEqual({
      name: "Lab Demo",
      version: "1.3",
      summary: "multi\nline",
      depends: ["base", "mail"],
      auto_install: ["mail"],
      installable: false,
      price: 9.5,
      images: [],
    });
    expect(() => parsePythonLiteral("{'depends': get_depends()}")).toThrow(SyntaxError);
  });

  test("manifests of 17 and 18: sets, set(), prefixes, escapes, number forms", () => {
    expect(parsePythonLiteral("{'depends': {'base', 'mail',}, 'x': set(), 'b': rb'\\x', 'u': u'\\u00e9\\x41', 'n': [0x1F, 1_000, -2.5e1, +3], 'e': ...}")).toEqual({
      depends: ["base", "mail"],
      x: [],
      b: "\\x",
      u: "éA",
      n: [31, 1000, -25, 3],
      e: "...",
    });
    expect(() => parsePythonLiteral("{'a': 1 + 2}")).toThrow(SyntaxError);
  });

  test("adapt_version as Odoo 16 (and 17, 18)", () => {
    expect(adaptVersion("1.3")).toBe("16.0.1.3");
    expect(adaptVersion("16.0.1.2.0")).toBe("16.0.1.2.0");
    expect(adaptVersion("16.0")).toBe("16.0.16.0");
    expect(adaptVersion("15.0.1.0")).toBe("16.0.15.0.1.0");
    expect(adaptVersion("17.0.1.0.0", "17.0")).toBe("17.0.1.0.0");
    expect(adaptVersion("1.18", "18.0")).toBe("18.0.1.18");
  });

  test("bracket check: CPython 3.11 messages, strings and comments ignored", () => {
    expect(checkPythonBrackets("a.py", "x = f('(', \"[\")  # )\ny = [1,\n 2]\n")).toBeUndefined();
    expect(checkPythonBrackets("a.py", "x = 1\ny = f(a,\n  b\n")).toMatchObject({ line: 2, column: 6, message: "'(' was never closed" });
    expect(checkPythonBrackets("a.py", "x = (1]\n")).toMatchObject({ message: "closing parenthesis ']' does not match opening parenthesis '('" });
    expect(checkPythonBrackets("a.py", 'x = """ ( """\ny = 1)\n')).toMatchObject({ line: 2, message: "unmatched ')'" });
    // the syntax error of ../shared/odoo17-lab and odoo18-lab, reported at the colon
    expect(checkPythonBrackets("a.py", "x = 1\n    def broken(:\n        pass\n")).toMatchObject({ line: 2, column: 16, message: "invalid syntax" });
    expect(checkPythonBrackets("a.py", "y = a[:3] + f(lambda: 1)\n")).toBeUndefined();
  });

  test("XML: records with their line, entities, comments", () => {
    const root = parseXml('<?xml version="1.0"?>\n<odoo>\n  <!-- c -->\n  <data>\n    <record id="a" model="m"><field name="n">x &amp; y</field></record>\n  </data>\n</odoo>\n');
    const rec = descendants(root).find((e) => e.tag === "record");
    expect(rec?.line).toBe(5);
    expect(rec?.attrs).toEqual({ id: "a", model: "m" });
    expect(descendants(root).find((e) => e.tag === "field")?.children).toEqual(["x & y"]);
  });
});
