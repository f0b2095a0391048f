import { describe, expect, test } from "vitest";
import { HumanOutput } from "./human.js";
import { shortDbUrl } from "./db-url.js";

const ESC = String.fromCharCode(27);

function capture(isTTY: boolean, env: Record<string, string | undefined> = {}, enabled = true) {
  let text = "";
  const out = new HumanOutput({ write: (s: string) => (text += s), isTTY, columns: 120 }, env, (s) => s.replaceAll("hunter2", "***"), enabled);
  return { out, text: () => text };
}

describe("connection strings in human output", () => {
  test.each([
    ["postgres:///odoo_demo?host=/tmp/odoo-deploy-pg-x/socket&port=41293", "odoo_demo on the local socket, port 41293"],
    ["postgres://postgres:***@/odoo_demo?host=%2Ftmp%2Fs", "odoo_demo on the local socket"],
    ["postgres://odoo:***@db.internal:5432/odoo_prod", "odoo_prod on db.internal:5432"],
    ["postgresql://odoo@[::1]/odoo", "odoo on [::1]"],
    ["postgres://odoo@db.internal/my%20db?sslmode=require", "my db on db.internal"],
    ["postgres:///", "the default database on the local socket"],
  ])("%s → %s", (url, short) => {
    expect(shortDbUrl(url)).toBe(short);
  });

  test("in a line: every URL shortened, punctuation kept outside, no password nor its mask", () => {
    const { out, text } = capture(false);
    out.line("restored postgres://odoo:hunter2@db/prod_new (from postgres:///prod?host=/run/pg&port=5433).");
    expect(text()).toBe("restored prod_new on db (from prod on the local socket, port 5433).\n");
    out.heading("Database postgres://u:***@db:5432/odoo");
    expect(text()).toContain("Database odoo on db:5432\n");
  });

  test("raw() keeps the (redacted) URL, for values shown on purpose", () => {
    const { out, text } = capture(false);
    out.raw('  "url": "postgres://odoo:hunter2@db/prod"');
    expect(text()).toBe('  "url": "postgres://odoo:***@db/prod"\n');
  });
});

describe("colours and progress", () => {
  test("colours on a terminal only; NO_COLOR (any non-empty value) and TERM=dumb turn them off", () => {
    const paints = (isTTY: boolean, env: Record<string, string>) => {
      const { out, text } = capture(isTTY, env);
      out.verdict(true, "done");
      return text().includes(ESC);
    };
    expect(paints(true, {})).toBe(true);
    expect(paints(false, {})).toBe(false);
    expect(paints(true, { NO_COLOR: "1" })).toBe(false);
    expect(paints(true, { NO_COLOR: "" })).toBe(true);
    expect(paints(true, { TERM: "dumb" })).toBe(false);
  });

  test("a progress bar that rewrites itself on a terminal; elsewhere plain throttled lines without control characters", () => {
    const tty = capture(true);
    tty.out.progress("dump", 0.5, "1 MiB");
    expect(tty.text()).toBe(`\r${ESC}[Kdump [##########----------] 50% 1 MiB`);
    const log = capture(false);
    log.out.progress("dump", 0.5, "1 MiB");
    log.out.progress("dump", 0.6, "2 MiB"); // within 5 s of the last line: not printed
    log.out.progress("dump", 1, "3 MiB"); // the end always is
    expect(log.text()).toBe("dump 50% 1 MiB\ndump 100% 3 MiB\n");
  });

  test("disabled (--quiet): nothing at all", () => {
    const { out, text } = capture(true, {}, false);
    out.heading("x");
    out.line("y");
    out.progress("dump", 0.5);
    out.verdict(false, "z");
    expect(text()).toBe("");
  });
});
