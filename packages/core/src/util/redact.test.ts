import { describe, expect, test } from "vitest";
import { Redactor, redactText, redactUrl } from "./redact.js";

describe("redaction", () => {
  test.each([
    ["postgres://odoo:s3cret@db:5432/prod", "postgres://odoo:***@db:5432/prod"],
    ["postgresql://u:p%40ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"],
    ["see postgres://a:b@h/x and https://user:tok@git.example/repo", "see postgres://a:***@h/x and https://user:***@git.example/repo"],
    ["host=db password=hunter2 dbname=x", "host=db password=*** dbname=x"],
    ["postgres://h/db?password=abc&user=u", "postgres://h/db?password=***&user=u"],
    ["postgres://odoo@db/prod", "postgres://odoo@db/prod"],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  test("redactUrl keeps everything but the password", () => {
    expect(redactUrl("postgres://u:pw@[::1]:5433/db")).toBe("postgres://u:***@[::1]:5433/db");
  });

  test("a Redactor masks declared values anywhere, raw or percent-encoded, in strings and JSON", () => {
    const r = new Redactor().addSecret("p@ss word").addUrl("postgres://u:xyz%2F123@h/db");
    expect(r.text("error: auth failed for p@ss word")).toBe("error: auth failed for ***");
    expect(r.text("url p%40ss%20word")).toBe("url ***");
    expect(r.text("xyz/123 leaked")).toBe("*** leaked");
    expect(r.value({ a: ["p@ss word", 1], b: { c: "x xyz/123" } })).toEqual({ a: ["***", 1], b: { c: "x ***" } });
  });

  test("short values are not treated as secrets (they would shred normal text)", () => {
    expect(new Redactor().addSecret("ab").text("a b ab")).toBe("a b ab");
  });
});
