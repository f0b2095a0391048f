import { test, expect } from "@odoo-deploy/testkit/vitest";
import { loadRules } from "../rules/load.js";
import { anonymizeDatabase } from "./database.js";

const RULES = loadRules({ text: "version: 1\ntables:\n  partner: { columns: { name: name } }\n" });

test("the source is never its own target, whatever the URLs look like: refused before anything is made, with --replace or not", async ({ pg, db }) => {
  await pg.query("CREATE TABLE partner (id serial PRIMARY KEY, name text); INSERT INTO partner (name) SELECT 'Person ' || g FROM generate_series(1, 100) g", [], db.name);
  const p = pg.port;
  const spellings = [
    `postgres://postgres@127.0.0.1:${p}/${db.name}`,
    `postgres://postgres@localhost:${p}/${db.name}`,
    `postgres://postgres@127.0.0.1:${p}/?dbname=${db.name}`,
    `postgres://postgres@${encodeURIComponent(pg.socketDir)}:${p}/${db.name}`,
    `postgres:///${db.name}?host=127.0.0.1&port=${p}&user=postgres`,
  ];
  const pairs = [...spellings.map((t) => [db.url, t] as const), [spellings[0]!, db.url] as const];
  for (const [sourceUrl, targetUrl] of pairs) {
    for (const replace of [true, false]) {
      await expect(anonymizeDatabase({ sourceUrl, targetUrl, rules: RULES, secret: "s", replace }), `${sourceUrl} → ${targetUrl}`).rejects.toMatchObject({
        name: "UsageError",
        code: "SAME_DATABASE",
      });
    }
  }
  expect(await pg.query("SELECT count(*)::int AS n, min(name) AS first FROM partner", [], db.name)).toEqual([{ n: 100, first: "Person 1" }]);
  expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${db.name}%`])).toEqual([{ datname: db.name }]);

  // Another database of the same server, reached by another spelling, is a target like any other.
  const other = `${db.name}_other`;
  await pg.createDatabase(other);
  try {
    const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: `postgres://postgres@127.0.0.1:${p}/${other}`, rules: RULES, secret: "s", replace: true });
    expect(r.ok, JSON.stringify(r.steps)).toBe(true);
    expect(await pg.query("SELECT count(*)::int AS n FROM partner WHERE name LIKE 'Person %'", [], other)).toEqual([{ n: 0 }]);
    expect(await pg.query("SELECT count(*)::int AS n FROM partner", [], db.name)).toEqual([{ n: 100 }]);
  } finally {
    await pg.dropDatabase(other);
  }
});
