import { connect, OperationFailedError } from "@odoo-deploy/core";
import { test, expect } from "@odoo-deploy/testkit/vitest";
import type pg from "pg";
import { checkRules } from "../check/check.js";
import { buildPlan } from "../check/plan.js";
import { loadRules } from "../rules/load.js";
import { Anonymizer } from "../strategies/anonymizer.js";
import { readCatalog } from "./catalog.js";
import { compileTable } from "./compile-table.js";
import { copyItem } from "./copy-item.js";
import { anonymizeDatabase } from "./database.js";

const SCHEMA = `
  CREATE EXTENSION dblink;
  CREATE TABLE victim (id serial PRIMARY KEY, name text, created timestamptz NOT NULL DEFAULT now());
  INSERT INTO victim (name) SELECT 'person ' || g FROM generate_series(1, 100) g;
`;
const rulesWith = (where: string) =>
  loadRules({ text: `version: 1\ntables:\n  victim:\n    where: ${JSON.stringify(where)}\n    columns: { name: name, created: keep }\n` });

/** Everything a write could change: the tables and sequences, each table's rows, sequence values, large objects. */
async function fingerprint(client: pg.Client): Promise<unknown> {
  const relations = (await client.query("SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY relname")).rows;
  const rows = (await client.query("SELECT md5(string_agg(v::text, ',' ORDER BY id)) AS h, count(*)::int AS n FROM victim v")).rows[0];
  const seq = (await client.query("SELECT last_value::text, is_called FROM victim_id_seq")).rows[0];
  const lo = (await client.query("SELECT count(*)::int AS n FROM pg_largeobject_metadata")).rows[0];
  return { relations, rows, seq, lo };
}

test("a where rule cannot write to the source, run SQL of its own or act on the server: refused before the copy, the source unchanged", async ({ pg, db }) => {
  await pg.query(SCHEMA, [], db.name);
  const watcher = await connect(db.url);
  const bystander = await connect(db.url);
  try {
    const before = await fingerprint(watcher);
    const bystanderPid = (await bystander.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    const dblink = `host=${pg.socketDir} port=${pg.port} user=postgres dbname=${db.name}`;
    const payloads: [string, RegExp][] = [
      ["true)) TO STDOUT; COMMIT; DROP TABLE victim; --", /closes a parenthesis/],
      ["true) TO STDOUT; DELETE FROM victim; COPY (SELECT 1", /closes a parenthesis/],
      ["true; DELETE FROM victim", /`;`/],
      ["a) OR (true", /closes a parenthesis/],
      [`pg_terminate_backend(${bystanderPid})`, /pg_terminate_backend\(\).*volatile/],
      ["lo_import('/etc/hostname') > 0", /lo_import\(\).*volatile/],
      [`dblink_exec('${dblink}', 'DROP TABLE victim') = 'DROP TABLE'`, /dblink_exec\(\).*volatile/],
      ["set_config('default_transaction_read_only', 'off', false) = 'off'", /set_config\(\).*volatile/],
      ["nextval('victim_id_seq') > 0", /nextval\(\).*volatile/],
      ["query_to_xml('DELETE FROM victim RETURNING 1', true, false, '') IS NOT NULL", /query_to_xml\(\).*volatile/],
      ["random() < 0.5", /random\(\).*volatile/],
      ["no_such_column > 1", /PostgreSQL: column "no_such_column" does not exist/],
      ["name", /must be type boolean/],
    ];
    for (const [where, why] of payloads) {
      const target = `${db.name}_w`;
      const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules: rulesWith(where), secret: "s", jobs: 1 });
      expect(r.ok, where).toBe(false);
      expect(r.failure?.step, where).toBe("check");
      expect(r.check.invalid.join("\n"), where).toMatch(why);
      expect(await fingerprint(watcher), where).toEqual(before);
      expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${target}%`]), where).toEqual([]);
    }
    // The session a payload tried to end is alive.
    expect((await bystander.query("SELECT 1 AS x")).rows).toEqual([{ x: 1 }]);
    // `anonymize check` refuses the same rules.
    const checked = await checkRules({ sourceUrl: db.url, rules: rulesWith("true)) TO STDOUT; COMMIT; DROP TABLE victim; --") });
    expect(checked.ok).toBe(false);
    expect(checked.checks.find((c) => c.name === "rules-fit-schema")?.detail).toMatch(/victim: where .* is refused/);

    // A where that reads (functions marked stable or immutable, a subquery) still selects the rows.
    const target = `${db.name}_ok`;
    try {
      const where = "id % 2 = 0 AND lower(name) LIKE 'p%' AND created > now() - interval '1 year' AND id IN (SELECT id FROM victim WHERE id <= 50)";
      const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules: rulesWith(where), secret: "s", jobs: 2, splitBytes: 1 });
      expect(r.ok, JSON.stringify(r.steps)).toBe(true);
      expect(await pg.query("SELECT count(*)::int AS n, min(id) AS lo, max(id) AS hi FROM victim", [], target)).toEqual([{ n: 25, lo: 2, hi: 50 }]);
      expect(await fingerprint(watcher)).toEqual(before);
    } finally {
      await pg.dropDatabase(target);
    }
  } finally {
    await watcher.end();
    await bystander.end();
  }
});

test("behind the check: the server parses each COPY as one statement, and the source sessions cannot write", async ({ pg, db }) => {
  await pg.query(SCHEMA, [], db.name);
  const scratch = `${db.name}_scratch`;
  await pg.createDatabase(scratch);
  await pg.query("CREATE TABLE victim (id int, name text, created timestamptz)", [], scratch);
  const watcher = await connect(db.url);
  // The copy workers' sessions: read-only, in a read-only snapshot transaction (copy-worker.ts).
  const source = await connect(db.url, { readOnly: true });
  const target = await connect(pg.url(scratch));
  try {
    const before = await fingerprint(watcher);
    const rules = rulesWith("true");
    const [planned] = buildPlan(await readCatalog(source), rules).tables;
    const spec = compileTable(planned!, new Anonymizer({ secret: "s", locale: rules.locale }));
    const copyWith = async (filter: string, transaction: boolean) => {
      if (transaction) await source.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        return await copyItem(source, target, { ...planned!, filter }, undefined, spec, undefined, new AbortController().signal, () => {});
      } finally {
        if (transaction) await source.query("ROLLBACK");
      }
    };
    // A where that got past the check (a bug there) still cannot add statements: the server refuses the text.
    const smuggled: [string, RegExp][] = [
      // Three valid statements once embedded: COPY …; DROP TABLE victim; COPY (SELECT 1 …) TO STDOUT.
      ["true) TO STDOUT; COMMIT; DROP TABLE victim; COPY (SELECT 1 WHERE true", /cannot insert multiple commands/],
      ["true) TO STDOUT; DELETE FROM victim; COPY (SELECT 1 WHERE true", /cannot insert multiple commands/],
      // The line break after the filter ends a trailing comment: what follows it is no longer swallowed.
      ["true)) TO STDOUT; COMMIT; DROP TABLE victim; --", /syntax error/],
    ];
    for (const [filter, why] of smuggled) {
      for (const transaction of [true, false]) {
        const err = await copyWith(filter, transaction).catch((e: unknown) => e);
        expect(err, filter).toBeInstanceOf(OperationFailedError);
        expect((err as OperationFailedError).code).toBe("COPY_REFUSED");
        expect((err as Error).message).toMatch(why);
      }
    }
    // One statement that would write is refused by the read-only session, in or out of the snapshot transaction.
    // (Not every one: PostgreSQL 15 lets lo_import write a large object in a read-only transaction, which is one
    // reason the check refuses volatile functions outright.)
    for (const filter of ["(nextval('victim_id_seq') > 0)", "(set_config('transaction_read_only', 'off', true) = 'off' AND nextval('victim_id_seq') > 0)"]) {
      for (const transaction of [true, false]) {
        await expect(copyWith(filter, transaction), filter).rejects.toThrow(/read-only transaction|read-write mode must be set before any query/);
      }
    }
    expect(await fingerprint(watcher)).toEqual(before);
    expect((await copyWith("(id <= 10)", true)).rows).toBe(10);
  } finally {
    await Promise.all([watcher.end(), source.end(), target.end()]);
    await pg.dropDatabase(scratch);
  }
});
