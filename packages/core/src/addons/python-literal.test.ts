import { canonicalLiteral, python3UnavailableReason, pythonLiteralEval, sameCanonical, unavailable, type Canonical } from "@odoo-deploy/testkit";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { ManifestSyntaxError } from "./manifest-error.js";
import { MAX_NESTING, readPythonLiteral } from "./python-literal.js";

// Differential: thousands of literal forms (every string prefix and quote, escapes, continuations, every number
// form, signs, complex sums, containers, nesting, comments and layout anywhere, plus random corruptions of them),
// each read by Python's ast.literal_eval (what Odoo runs) and by readPythonLiteral: the same value, or both refuse.

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREFIXES = ["", "r", "u", "R", "U", "b", "B", "br", "rb", "Br", "bR", "RB", "rB", "Rb", "f", "F", "fr", "rf", "ur", "x", "bu"];
const QUOTES = ["'", '"', "'''", '"""'];
const BODIES = [
  "", "a", "a b", "é", "€", "😀", "\\n", "\\t", "\\\\", "\\'", '\\"', "\\a\\b\\f\\v\\r", "\\x41", "\\x4", "\\xZZ", "\\u00e9", "\\u00", "\\U0001F600",
  "\\U00110000", "\\777", "\\400", "\\0", "\\12", "\\8", "\\q", "\\N", "a\\\nb", "line1\nline2", "'", '"', "\\", "#not a comment", "{", "\\u12345", "ab\\\n",
];
const NUMBERS = [
  "0", "00", "0_0", "01", "0_1", "1", "7", "1_000", "1__0", "1_", "0x1F", "0X_ff", "0x", "0xg", "0o17", "0O7", "0o8", "0b101", "0B1", "0b2", "1.", ".5", "1.5",
  "1e5", "1E-5", "1.e5", "1e", "1e+", "1._5", "09.5", "09", "09j", "09e1", "1j", "1.5J", "1e3j", "0j", "1e999", "1e-999", "123456789012345678901234567890",
  "9007199254740993", "0.1", "5e-324", "2.5e-324", "1_0.0_1e1_0", "0x_", "1.2.3", "1e5.", "1 .5", "1" + "0".repeat(4299), "1" + "0".repeat(4300), "0x" + "f".repeat(5000),
];
const SIGNS = ["", "-", "+", "- ", "--", "-+", "+-", "~", "-(", "(-"];
const CONSTANTS = ["True", "False", "None", "...", "Ellipsis", "true", "none", "set()", "set( )", "set(\n)", "set(1)", "set([])", "frozenset()", "(set())", "set ()", "set()()", "-...", "+True", "-None"];

/** The hand-picked forms: every string, number and constant form, signs and complex sums, layout edge cases. */
function handPicked(): string[] {
  const out: string[] = [];
  for (const p of PREFIXES) for (const q of QUOTES) for (const b of BODIES) out.push(`${p}${q}${b}${q}`);
  for (const n of NUMBERS) for (const s of SIGNS) out.push(s.endsWith("(") ? `${s}${n})` : `${s}${n}`);
  for (const a of ["1", "-1", "1.5", "-0.0", "0", "(1)", "-(1)", "1e308", "1" + "0".repeat(400), "True", "1j", "'a'"]) {
    for (const op of ["+", "-", " + ", " -\t"]) for (const b of ["2j", "0j", "1.5j", "-2j", "(2j)", "2", "1e999j", "(1+2j)"]) out.push(`${a}${op}${b}`);
  }
  out.push("(1+2j)", "-(1+2j)", "(1+2j)+3j", "1+2j+3", "1-2j-3j", "+1-0j", "-0j", "1j+1j", "1+2 j", "1+2J");
  out.push(...CONSTANTS, ...CONSTANTS.map((c) => `[${c}]`), ...CONSTANTS.map((c) => `{${c}: 1}`));
  out.push(
    "'a' 'b'", "'a' b'b'", "b'a' b'b'", "u'a' 'b'", "'a' f'b'", "'a'\n'b'", "('a'\n'b')", "'a' \\\n 'b'", "r'\\''", "r'\\'", "'''a'''b'", "'''a''''", '"""a""""',
    "()", "(1)", "(1,)", "(1, 2)", "(,)", "(1,,)", "[]", "[,]", "[1,]", "[1,,]", "{}", "{,}", "{1}", "{1,}", "{1:}", "{:1}", "{1: 2,}", "{1: 2, 3}", "{1, 2: 3}",
    "{**{}}", "[*[]]", "{1: 2 3}", "[1 2]", "1, 2", "1,", ",", "1,2,", "(1)(2)", "[1][0]", "'a'[0]", "{'a': 1}['a']", "1 if 1 else 2", "[1if 1 else 2]",
    "{1: 'a', True: 'b', 1.0: 'c'}", "{1, True, 1.0}", "{0: 1, -0.0: 2, 0j: 3, False: 4}", "{(1, 2): 'a', (1, 2): 'b'}", "{[]: 1}", "{(1, []): 1}", "{set()}", "{{}}",
    "{frozenset(): 1}", "{'a': {'b': [1, (2, {3})]}}", "{(): ()}", "{None: None, ...: ...}", "{b'a': 1, 'a': 2}", "{1.5: 1, 3/2: 2}", "{9007199254740993: 1, 9007199254740992.0: 2}",
    "{2**53: 1}", "{-1: 1, -1.0: 2}", "{'a': 1, 'a': 2}", "{1e999: 1, 1e999: 2}", "{float('inf'): 1}", "x", "open('/etc/passwd')", "__import__('os')", "{'a': b}",
    "", " ", "\t", "# only a comment", "\n\n", "1 # c", "(1 # c\n)", "[1, # c\n 2]", "{ # c\n 'a' # c\n : # c\n 1 # c\n }", "1 \\\n", "1\\", "\\\n1",
    "{}\\\n\n", "{} \\\n", "1\\\n+2j", "\n  {}", "# c\n  {}", "{}\n  ", "{}\n  \n", "{}\n  # c", "{}\n\t", "{}\n\n ", "  {}", "\t{}", "\f{}", "\f {}", "\n\f {}",
    "\f\n  \f{}", "{}\n\f", "{}\n \f", "{\f}", "\v{}", "{\v}", "\u00a0{}", "{}\u00a0", "\ufeff{}", "{}\0", "{}\r\n", "{\r\n'a': 1}\r\n", "{}\r", "'a\r\nb'", "'''a\r\nb'''",
    "(\n\n  1\n)", "[\n1,\n2\n]\n", "{}  \t", "{\n}\n\n\n", "1 2", "{};", "{} {}", "é", "€", "`1`", "$", "1 @ 2", "1 ; 2", "lambda: 1", "(yield)", "[x for x in []]",
    "{'a': 1}.copy()", "'a'.upper()", "1 .real", "1..5", "(1).real", "not 1", "1 and 2", "~1", "1 == 1", "(x := 1)", "'\\ud800'", "'\\udc00\\ud800'",
    "'😀'", "b'\\xff'", "b'é'", "rb'é'", "u'\\N{x}'", "b'\\N{x}'", "rb'\\x'", "'\\\n'", "r'\\\n'", "'''\\\n'''", "'a\\\n\\\nb'", "('a'\n 'b'\n 'c')",
  );
  for (const [o, c] of [["[", "]"], ["(", ")"], ["{'a': ", "}"]] as const) {
    for (const n of [MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1]) out.push(`${o.repeat(n)}1${c.repeat(n)}`);
  }
  out.push("[".repeat(MAX_NESTING + 5), "(".repeat(MAX_NESTING) + ")".repeat(MAX_NESTING), `${"[".repeat(300)}${"]".repeat(300)}`, "]", ")", "(]", "[1, 2)");
  return out;
}

/** Random literals of every kind in random layout: the shapes real manifests take, and many they do not. */
function generated(n: number, rnd: () => number): string[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ws = () => pick([" ", "", "  ", "\t", " # note\n  ", "\n", "\n\n    ", " \\\n ", "\f"]);
  const validString = () => {
    const p = pick(["", "r", "u", "b", "rb", "R", "B", "U", "Rb"]);
    const q = pick(QUOTES);
    const body = pick(["name", "views/a.xml", "Odoo S.A.", "é", "a\\tb", "\\x41", "it\\'s", "🎉", "a\\\nb", "LGPL-3", "16.0.1.0.0", ""]);
    if (p.toLowerCase().includes("b") && [...body].some((c) => c.charCodeAt(0) > 0x7f)) return `${p}${q}x${q}`;
    const s = `${p}${q}${body}${q}`;
    return rnd() < 0.2 ? `${s}${ws().includes("\n") ? " " : " "}${p.toLowerCase().includes("b") ? "b" : ""}'more'` : s;
  };
  const value = (depth: number): string => {
    const r = rnd();
    if (depth > 3 || r < 0.35) return pick([validString, () => pick(NUMBERS.slice(0, 40)), () => pick(["True", "False", "None", "...", "set()", "-1", "+2.5", "1+2j", "-3-4.5j"])])();
    const items = Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    const comma = rnd() < 0.4 && items.length > 0 ? "," : "";
    const join = (xs: string[]) => xs.map((x) => `${ws()}${x}${ws()}`).join(",");
    const kind = pick(["list", "tuple", "set", "dict", "dict"]);
    if (kind === "list") return `[${join(items)}${comma}]`;
    if (kind === "tuple") return `(${join(items)}${items.length === 1 ? "," : comma})`;
    if (kind === "set") return items.length ? `{${join(items)}${comma}}` : "set()";
    const keys = items.map(() => pick([validString, () => pick(["1", "2.0", "True", "None", "(1, 'a')", "-0.0", "0j"])])());
    return `{${items.map((v, i) => `${ws()}${keys[i]}${ws()}:${ws()}${v}${ws()}`).join(",")}${comma}}`;
  };
  const manifest = () =>
    `# -*- coding: utf-8 -*-\n{\n${["name", "version", "depends", "data", "auto_install", "installable", "assets", "external_dependencies"]
      .filter(() => rnd() < 0.7)
      .map((k) => `    ${pick(["'", '"'])}${k}${pick(["'", '"'])}: ${value(1)},${rnd() < 0.3 ? "  # why" : ""}\n`)
      .join("")}}\n`;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = rnd() < 0.5 ? manifest() : value(0);
    // A third of them corrupted: a character dropped, doubled or replaced by one literals care about.
    if (rnd() < 0.33 && s.length > 0) {
      const at = Math.floor(rnd() * s.length);
      const c = pick(["", s[at]! + s[at]!, "'", '"', ",", ":", "(", "]", "}", "\\", "#", "\n", " ", "j", "_", ".", "e", "0", "-", "b", "f"]);
      s = s.slice(0, at) + c + s.slice(at + 1);
    }
    out.push(s);
  }
  return out;
}

/** Our reading of a source in the oracle's form, or the error. */
function ours(source: string): { value?: Canonical; error?: unknown } {
  try {
    return { value: canonicalLiteral(readPythonLiteral(source, "m.py")) };
  } catch (e) {
    return { error: e };
  }
}

describe("readPythonLiteral against Python's ast.literal_eval", () => {
  test("every hand-picked and generated form: the same value, or both refuse", async ({ skip }) => {
    const why = python3UnavailableReason();
    if (why) return skip(unavailable("python3", why));
    const sources = [...handPicked(), ...generated(3000, prng(22))];
    const python = await pythonLiteralEval(sources.map((source) => ({ source })));
    const disagreements: string[] = [];
    let readByPython = 0;
    for (const [i, source] of sources.entries()) {
      const py = python[i]!;
      const me = ours(source);
      if (me.error !== undefined && !(me.error instanceof ManifestSyntaxError)) throw me.error;
      if (py.ok) readByPython++;
      const same = py.ok ? me.value !== undefined && sameCanonical(me.value, py.value) : me.value === undefined;
      // \N{…} needs Unicode's name table, which odoo-deploy does not carry: refused with its own message.
      if (!same && !(py.ok && /\\N\{/.test(source) && me.error instanceof ManifestSyntaxError && me.error.reason.startsWith("\\N{...}"))) {
        disagreements.push(`${JSON.stringify(source).slice(0, 160)}\n  python: ${py.ok ? JSON.stringify(py.value).slice(0, 160) : py.error}\n  ours:   ${me.error instanceof Error ? me.error.message : JSON.stringify(me.value)?.slice(0, 160)}`);
      }
    }
    expect(disagreements).toEqual([]);
    // Both outcomes are well represented: the comparison is not one-sided.
    expect(readByPython).toBeGreaterThan(1500);
    expect(sources.length - readByPython).toBeGreaterThan(1000);
  }, 120_000);
});

describe("readPythonLiteral's errors", () => {
  test.each([
    ["{'a': 1,\n 'b': open('x')}", "m.py:2:7: 'open' is a name: only literals are allowed (nothing is executed)"],
    ["{'a': f'x'}", "m.py:1:7: f-strings are not literals (Odoo's ast.literal_eval refuses them)"],
    ["{'a': 1 + 2}", "m.py:1:9: an operation: only a complex number such as 1+2j may be written with + or -"],
    ["{[1]: 2}", "m.py:1:2: a list cannot be a set member or a dict key (unhashable)"],
    ["{'a': 'b'", "m.py:1:1: '{' was never closed"],
    ["{'a': [1, 2 3]}", "m.py:1:13: expected ',' or ']' to continue the list opened at line 1, found a number"],
    ["{} {}", "m.py:1:4: unexpected '{' after the value"],
    ["{}\n  ", "m.py:2:3: unexpected indent (Python refuses an indented line here)"],
    ["  {'a': 09}", "m.py:1:9: leading zeros in a decimal integer (Python refuses them; write 0o for octal)"],
    ["{'a': '\\N{BULLET}'}", "m.py:1:8: \\N{...} escapes name characters from Unicode's database, which odoo-deploy does not carry: write the character itself or a \\u escape"],
  ])("%j", (source, message) => {
    expect(() => readPythonLiteral(source, "m.py")).toThrow(message);
  });

  test("deep nesting is a clear error naming the file, not a stack overflow", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(() => readPythonLiteral(deep, "addons/x/__manifest__.py")).toThrow(
      `addons/x/__manifest__.py:1:${MAX_NESTING + 1}: brackets nested more than ${MAX_NESTING} deep (Python refuses: too many nested parentheses)`,
    );
  });
});
