import { describe, expect, test } from "vitest";
import type { ColumnRuleInput } from "../rules/schema.js";
import { Anonymizer } from "./anonymizer.js";
import type { RowView } from "./builder.js";
import { localeData } from "./locale.js";

const row = (values: Record<string, string | null> = {}, outputs: Record<string, string | null> = values): RowView => ({
  original: (c) => values[c] ?? null,
  output: (c) => outputs[c] ?? null,
});

describe("strategies", () => {
  test("same secret → same fake across instances (tables, runs); another secret → another fake", () => {
    const a = new Anonymizer({ secret: "s1" });
    const b = new Anonymizer({ secret: "s1" });
    const c = new Anonymizer({ secret: "s2" });
    for (const s of ["email", "name", "phone", "street", "city", "zip", "company", "hash", "uuid"] as const) {
      const v = "John.Smith@Example.com";
      const fa = a.compile(s)(v, row());
      expect(fa, s).not.toBe(v);
      expect(b.compile(s)(v, row()), s).toBe(fa);
      expect(c.compile(s)(v, row()), s).not.toBe(fa);
    }
  });

  test("emails keep their form; the same address maps the same in a header and alone, case-insensitively", () => {
    const a = new Anonymizer({ secret: "k" });
    const email = a.compile("email");
    const alone = email("John@Example.com", row())!;
    expect(alone).toMatch(/^[a-z0-9]+\.[a-z0-9]+\.[a-z0-9]{6}@example\.com$/);
    expect(email("john@example.com", row())).toBe(alone);
    const counted = a.fakeValues;
    const header = email('"John Smith" <john@example.com>, other@x.org', row())!;
    // One value transformed, though it holds a name and two addresses.
    expect(a.fakeValues).toBe(counted + 1);
    expect(header).toContain(`<${alone}>`);
    expect(header).not.toMatch(/John|Smith|other@x\.org/);
    expect(a.compile({ strategy: "email", domain: "example.invalid" })("a@b.c", row())).toMatch(/@example\.invalid$/);
  });

  test("address lists keep nothing of the original but quotes, brackets, commas and white space", () => {
    const a = new Anonymizer({ secret: "k" });
    const email = a.compile("email");
    const name = a.compile("name");
    const fake = (address: string) => email(address, row())!;
    const cases: [string, string][] = [
      // "Last, First" display names (Outlook writes them), quoted as RFC 5322 wants or not
      ['"Doe, Jane" <jane@example.com>', `"${name("Doe, Jane", row())}" <${fake("jane@example.com")}>`],
      ["Doe, Jane <jane@example.com>", `${name("Doe", row())}, ${name("Jane", row())} <${fake("jane@example.com")}>`],
      ['jane@example.com, "Smith, John" <john@x.org>, bob@y.org', `${fake("jane@example.com")}, "${name("Smith, John", row())}" <${fake("john@x.org")}>, ${fake("bob@y.org")}`],
      // escaped quotes inside a quoted name, a comma inside the brackets, something after them
      ['"Jane \\"JD\\" Doe" <jd@x.org>', `"${name('Jane "JD" Doe', row())}" <${fake("jd@x.org")}>`],
      ["<ab@x.org> trailing words", `<${fake("ab@x.org")}>`],
    ];
    for (const [header, expected] of cases) {
      const out = email(header, row())!;
      expect(out, header).toBe(expected);
      for (const word of ["Doe", "Jane", "Smith", "John", "JD", "jane", "john", "bob", "trailing"]) if (header.includes(word)) expect(out, header).not.toContain(word);
    }
    // a comma inside the brackets does not split the list
    expect(email("<a,b@x.org>", row())).toMatch(/^<[a-z0-9.]+@example\.com>$/);
  });

  test("unique never gives two originals the same fake", () => {
    const a = new Anonymizer({ secret: "k" });
    const t = a.compile({ strategy: "first_name", unique: true });
    const seen = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      const out = t(`user${i}`, row())!;
      expect(seen.has(out), `collision on ${out}`).toBe(false);
      seen.set(out, `user${i}`);
      expect(t(`user${i}`, row())).toBe(out);
    }
  });

  test("mask, template, same_as, regex, constant, null, noise, switch, jsonb", () => {
    const a = new Anonymizer({ secret: "k" });
    expect(a.compile({ strategy: "mask", keepFirst: 2, keepLast: 2 })("BE0477472701", row())).toBe("BE********01");
    expect(a.compile({ strategy: "mask", keepFirst: 1, keepLast: 1 })("🎉abc🎉", row())).toBe("🎉***🎉");
    expect(a.compile({ strategy: "mask", keepFirst: 2, keepLast: 2, char: "#" })("abc", row())).toBe("###");
    expect(a.compile({ strategy: "mask", keepFirst: 2 })("BE0477", row())).toBe("BE****");
    expect(a.compile({ strategy: "template", template: "partner{{id}}@example.invalid" })("x", row({ id: "42" }))).toBe("partner42@example.invalid");
    expect(a.compile({ strategy: "same_as", column: "name" })("Old", row({ name: "Old" }, { name: "New" }))).toBe("New");
    expect(a.compile({ strategy: "regex", pattern: "\\d", replacement: "#" })("a1b22", row())).toBe("a#b##");
    expect(a.compile({ strategy: "constant", value: "admin" })("pbkdf2$…", row())).toBe("admin");
    expect(a.compile("null")("x", row())).toBeNull();
    const n = Number(a.compile({ strategy: "noise", ratio: 0.1 })("100.00", row()));
    expect(n).toBeGreaterThanOrEqual(90);
    expect(n).toBeLessThanOrEqual(110);
    const d = a.compile({ strategy: "noise", days: 10 })("1990-05-17", row())!;
    expect(Math.abs(Date.parse(d) - Date.parse("1990-05-17")) / 86_400_000).toBeLessThanOrEqual(10);
    const sw = a.compile({ strategy: "switch", column: "key", cases: { "database.secret": "uuid", "*token*": "null" }, default: "keep" });
    expect(sw("abc", row({ key: "database.secret" }))).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sw("abc", row({ key: "x.token.y" }))).toBeNull();
    expect(sw("abc", row({ key: "web.base.url" }))).toBe("abc");
    const j = JSON.parse(a.compile({ strategy: "jsonb", each: "name" })('{"en_US": "John Smith", "fr_FR": "Jean Smith"}', row())!);
    expect(Object.keys(j)).toEqual(["en_US", "fr_FR"]);
    expect(j.en_US).toBe(a.compile("name")("John Smith", row()));
  });

  test("html keeps the markup and replaces the text; fake calls any faker method", () => {
    const a = new Anonymizer({ secret: "k" });
    const html = '<p>Dear <b>John Smith</b>,<br/>call +32 2 555 0101 or <a href="mailto:john@x.com">john@x.com</a> &amp; more</p>';
    const out = a.compile("html")(html, row())!;
    expect(out.replace(/>[^<]*</g, "><")).toBe('<p><b></b><br/><a href="#"></a></p>'.replace(/>[^<]*</g, "><"));
    expect(out).not.toMatch(/John|Smith|555|john@x/);
    expect(out).toContain("&amp;");
    const job = a.compile({ strategy: "fake", method: "person.jobTitle" });
    expect(job("Sales Manager", row())).toBe(new Anonymizer({ secret: "k" }).compile({ strategy: "fake", method: "person.jobTitle" })("Sales Manager", row()));
    expect(a.compile({ strategy: "name", locale: "fr" })("Jean", row())).toMatch(/\S+ \S+/);
  });
  test("a fake depends on the rule, never on which rules ran first (locales are separate memo domains)", () => {
    const v = "John.Smith@Example.com";
    const frFirst = new Anonymizer({ secret: "k" });
    const fr1 = frFirst.compile({ strategy: "email", locale: "fr" })(v, row());
    const en1 = frFirst.compile("email")(v, row());
    const enFirst = new Anonymizer({ secret: "k" });
    const en2 = enFirst.compile("email")(v, row());
    const fr2 = enFirst.compile({ strategy: "email", locale: "fr" })(v, row());
    expect(fr1).toBe(fr2);
    expect(en1).toBe(en2);
    expect(new Anonymizer({ secret: "k" }).compile({ strategy: "name", locale: "base" })("x", row())).toEqual(expect.any(String));
  });

  test("output charset promises: declared from the locale's data, and every output keeps them", () => {
    const a = new Anonymizer({ secret: "k" });
    // The promises exist where the data allows them, and only there.
    expect(localeData("en").asciiOnly("location.city_pattern")).toBe(true);
    expect(localeData("ru").asciiOnly("person.first_name")).toBe(false);
    expect(localeData("fr").asciiOnly("person.first_name")).toBe(false); // Adélaïde
    expect(a.compile("name").charset).toBe("ascii");
    expect(a.compile({ strategy: "name", locale: "ru" }).charset).toBeUndefined();
    expect(a.compile("email").charset).toBe("asciiIn"); // a header keeps its own quotes and commas
    expect(a.compile({ strategy: "email", locale: "fr" }).charset).toBeUndefined(); // display names of fr
    expect(a.compile("html").charset).toBe("asciiIn");
    expect(a.compile({ strategy: "constant", value: "é" }).charset).toBeUndefined();
    expect(a.compile({ strategy: "fake", method: "person.jobTitle" }).charset).toBeUndefined();
    expect(a.compile({ strategy: "switch", column: "t", cases: { a: "name" }, default: "uuid" }).charset).toBe("ascii");
    expect(a.compile({ strategy: "switch", column: "t", cases: { a: "name" } }).charset).toBe("asciiIn"); // default: keep
    expect(a.compile({ strategy: "switch", column: "t", cases: { a: { strategy: "name", locale: "ru" } } }).charset).toBeUndefined();

    // eslint-disable-next-line no-control-regex
    const NON_ASCII = /[^\x00-\x7f]/;
    const values = ["John Smith", "  Zoë.Müller@Exämple.com ", '"Jean Dupont" <jd@x.fr>, "Zoë" <z@y.de>', "+32 (2) 555-01.02", "<p>Grüße, <b>Jörg</b> &amp; co</p>", "Москва", "東京都", "2024-02-29", "12.50", '{"en_US": "Chair", "fr_FR": "Chaise é"}', "plain text, with punctuation!"];
    const rules: ColumnRuleInput[] = ["keep", "null", "name", "first_name", "last_name", "company", "street", "street2", "city", "zip", "phone", "email", "uuid", "html", "lorem", "mask",
      { strategy: "html", mode: "whole" }, { strategy: "hash", length: 10, prefix: "P" }, { strategy: "mask", keepFirst: 2, keepLast: 1 }, { strategy: "regex", pattern: "[0-9]", replacement: "#" },
      { strategy: "noise", days: 30, ratio: 0.1 }, { strategy: "jsonb", each: "lorem" }, { strategy: "email", unique: true }, { strategy: "constant", value: "x" }];
    let promised = 0;
    for (const locale of ["en", "fr", "de", "ru", "ja", "el"]) {
      for (const rule of rules) {
        const t = a.compile(typeof rule === "string" ? ({ strategy: rule, locale } as ColumnRuleInput) : "locale" in rule || rule.strategy === "noise" || rule.strategy === "regex" || rule.strategy === "constant" || rule.strategy === "jsonb" ? rule : ({ ...rule, locale } as ColumnRuleInput));
        for (const v of values) {
          const out = t(v, row({ t: "a" }));
          if (out === null) continue;
          if (t.charset === "ascii" || (t.charset === "asciiIn" && !NON_ASCII.test(v))) {
            promised++;
            expect(NON_ASCII.test(out), `${JSON.stringify(rule)} ${locale} ${v} → ${out}`).toBe(false);
          }
        }
      }
    }
    expect(promised).toBeGreaterThan(500);
  });
});
