import { describe, expect, test } from "vitest";
import { scanWhere } from "./where.js";

const refused = (expr: string, scs = true) => {
  const r = scanWhere(expr, scs);
  return "error" in r ? r.error : undefined;
};
const calls = (expr: string) => {
  const r = scanWhere(expr);
  if ("error" in r) throw new Error(r.error);
  return r.calls.sort();
};

describe("scanWhere", () => {
  test.each([
    ["true)) TO STDOUT; COMMIT; DROP TABLE victim; --", /closes a parenthesis/],
    ["true) TO STDOUT; DELETE FROM victim; COPY (SELECT 1", /closes a parenthesis/],
    ["true; DROP TABLE victim", /`;`/],
    ["id > 1 -- and the rest", /comments/],
    ["id > 1 /* x */", /comments/],
    ["id >/**/1", /comments/],
    ["a) OR (true", /closes a parenthesis/],
    ["(true", /not closed/],
    ["tags[1 = 'a'", /not closed/],
    ["tags[1) = 'a'", /closes a parenthesis/],
    ["name = $1", /dollar/],
    ["name = $$x$$", /dollar/],
    ["name = E'\\'' OR pg_terminate_backend(1) OR '", /escape literals/],
    ['U&"d\\0061ta" = 1', /escape literals/],
    ["name = 'open", /string is not closed/],
    ['"open = 1', /quoted name is not closed/],
    ["a \\ b", /backslash/],
    ["{}", /unexpected character/],
    ["   ", /empty/],
  ])("refuses %j", (expr, why) => {
    expect(refused(expr)).toMatch(why);
  });

  test("reads strings, quoted names and numbers as PostgreSQL does, so no call hides from it", () => {
    expect(calls("name = 'a;b -- c /* d */ $$ ) (' AND note <> ''''")).toEqual([]);
    expect(calls(`"pg_terminate_backend"(1) = true`)).toEqual(["pg_terminate_backend"]);
    expect(calls("pg_catalog . set_config ('a', 'b', false) = 'b'")).toEqual(["set_config"]);
    expect(calls("1abs(id) > 0")).toEqual(["abs"]);
    expect(calls("NEXTVAL\n('s') > 0")).toEqual(["nextval"]);
    expect(calls("t.pg_terminate_backend")).toEqual(["pg_terminate_backend"]);
    expect(calls("id IN (SELECT partner_id FROM lead WHERE lower(email) LIKE '%@corp.example')")).toEqual(["in", "lower"]);
    expect(calls("x::numeric(10, 2) > 1.5e3 AND b'101' = b'101'")).toEqual(["numeric"]);
    // With standard_conforming_strings off, a backslash escapes a quote inside a string.
    expect(refused("name = 'it\\'s' OR pg_terminate_backend(1)", false)).toBeUndefined();
    expect((scanWhere("name = 'it\\'s' OR pg_terminate_backend(1)", false) as { calls: string[] }).calls).toEqual(["pg_terminate_backend"]);
    expect((scanWhere("name = 'a\\' OR pg_sleep(1) OR '", false) as { calls: string[] }).calls).toEqual([]);
  });

  test("collects operators, split where PostgreSQL splits them", () => {
    const r = scanWhere("a =-1 AND b ~~* 'x' AND c @- d") as { operators: string[] };
    expect(r.operators).toEqual(expect.arrayContaining(["=-", "=", "-", "~~*", "@-"]));
  });
});
