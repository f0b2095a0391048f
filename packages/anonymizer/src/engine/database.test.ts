import { test, expect } from "@odoo-deploy/testkit/vitest";
import { loadRules } from "../rules/load.js";
import { anonymizeDatabase } from "./database.js";

const SCHEMA = `
  CREATE TABLE partner (id serial PRIMARY KEY, name text, email text, "Phone" text, note text, active boolean,
                        upper_name text GENERATED ALWAYS AS (upper(name)) STORED);
  CREATE TABLE lead (id serial PRIMARY KEY, partner_id int REFERENCES partner(id), email_from text, tags text[], props jsonb, data bytea);
  CREATE TABLE users (id serial PRIMARY KEY, login text UNIQUE NOT NULL, partner_id int REFERENCES partner(id));
  INSERT INTO partner (name, email, "Phone", note, active)
    SELECT 'Person ' || g, 'person' || g || '@corp.example', '+32 2 555 ' || g, CASE WHEN g % 2 = 0 THEN 'tab\there' ELSE '' END, g % 3 <> 0
    FROM generate_series(1, 300) g;
  INSERT INTO lead (partner_id, email_from, tags, props, data)
    SELECT g, 'person' || g || '@corp.example', ARRAY['a', NULL, 'b c'], jsonb_build_object('k', g), '\\x00ff'::bytea FROM generate_series(1, 300) g;
  INSERT INTO users (login, partner_id) SELECT 'user' || g, g FROM generate_series(1, 50) g;
`;
const RULES = `
version: 1
tables:
  partner: { columns: { name: name, email: email, Phone: phone, note: lorem } }
  lead: { columns: { email_from: email, tags: keep, props: keep, data: keep } }
  users: { columns: { login: { strategy: email, unique: true } } }
`;

test("copies every row, anonymizes consistently across tables and runs, keeps types and constraints", async ({ pg, db }) => {
  await pg.query(SCHEMA, [], db.name);
  const rules = loadRules({ text: RULES });
  const t1 = `${db.name}_a1`;
  const t2 = `${db.name}_a2`;
  try {
    const r1 = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(t1), rules, secret: "s", jobs: 2, splitBytes: 8192 });
    expect(r1.ok, JSON.stringify(r1.steps)).toBe(true);
    expect(r1.published).toBe(true);
    const r2 = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(t2), rules, secret: "s", jobs: 1 });
    expect(r2.ok).toBe(true);
    const q = (d: string, sql: string) => pg.query(sql, [], d);
    const a = await q(t1, "SELECT p.id, p.name, p.email, p.upper_name, l.email_from, l.tags, l.props, encode(l.data, 'hex') AS data, p.note FROM partner p JOIN lead l ON l.partner_id = p.id ORDER BY p.id");
    const b = await q(t2, "SELECT p.id, p.name, p.email, p.upper_name, l.email_from, l.tags, l.props, encode(l.data, 'hex') AS data, p.note FROM partner p JOIN lead l ON l.partner_id = p.id ORDER BY p.id");
    expect(a).toHaveLength(300);
    expect(a).toEqual(b); // deterministic across runs (and job counts)
    for (const row of a) {
      expect(row.email).not.toMatch(/corp\.example/);
      expect(row.email_from).toBe(row.email); // same original in two tables → same fake
      expect(row.upper_name).toBe(String(row.name).toUpperCase()); // generated column recomputed
      expect(row.tags).toEqual(["a", null, "b c"]);
      expect(row.data).toBe("00ff");
    }
    expect(a.filter((r) => r.note === "")).toHaveLength(150); // empty string stays empty, not NULL
    const logins = await q(t1, "SELECT count(DISTINCT login)::int AS n FROM users");
    expect(logins[0]!.n).toBe(50);
    // Constraints and sequences came with post-data.
    const next = await q(t1, "SELECT nextval('partner_id_seq')::int AS n");
    expect(next[0]!.n).toBe(301);
    await expect(q(t1, "INSERT INTO lead (partner_id) VALUES (99999)")).rejects.toThrow(/foreign key/);
  } finally {
    await pg.dropDatabase(t1);
    await pg.dropDatabase(t2);
  }
});

test("a failure midway leaves an existing target intact and drops the temporary database", async ({ pg, db }) => {
  await pg.query(SCHEMA, [], db.name);
  const target = `${db.name}_t`;
  await pg.createDatabase(target);
  await pg.query("CREATE TABLE keepme (x int); INSERT INTO keepme VALUES (42)", [], target);
  try {
    // A template referring to a column that is fine for check but fails while copying: a regex that throws.
    const rules = loadRules({ text: RULES.replace("note: lorem", 'note: { strategy: template, template: "{{note}}" }') });
    const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules, secret: "s", replace: true });
    expect(r.ok).toBe(false);
    expect(r.published).toBe(false);
    expect(r.steps.find((s) => s.status === "failed")?.name).toBe("data");
    expect(await pg.query("SELECT x FROM keepme", [], target)).toEqual([{ x: 42 }]);
    const leftovers = await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${target.slice(0, 40)}_anon_%`]);
    expect(leftovers).toEqual([]);
    // Without --replace an existing target is refused before anything happens.
    await expect(anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules: loadRules({ text: RULES }), secret: "s" })).rejects.toThrow(/already exists/);
    // With --replace and good rules the target is swapped.
    const ok = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules: loadRules({ text: RULES }), secret: "s", replace: true });
    expect(ok.ok).toBe(true);
    expect(await pg.query("SELECT count(*)::int AS n FROM partner", [], target)).toEqual([{ n: 300 }]);
  } finally {
    await pg.dropDatabase(target);
  }
});

test("all readers share one snapshot: concurrent writes to the source do not make the copy inconsistent", async ({ pg, db }) => {
  await pg.query(SCHEMA, [], db.name);
  await pg.query("INSERT INTO partner (name) SELECT 'bulk ' || g FROM generate_series(1, 20000) g", [], db.name);
  const target = `${db.name}_s`;
  let writing = true;
  let writes = 0;
  // Each write adds a partner AND a lead pointing at it, in one transaction.
  const writer = (async () => {
    while (writing) {
      await pg.query("WITH p AS (INSERT INTO partner (name) VALUES ('late') RETURNING id) INSERT INTO lead (partner_id) SELECT id FROM p", [], db.name);
      writes++;
    }
  })();
  try {
    const r = await anonymizeDatabase({
      sourceUrl: db.url, targetUrl: pg.url(target), rules: loadRules({ text: RULES }), secret: "s", jobs: 2, splitBytes: 64 * 1024,
      onEvent: (e) => {
        if (e.type === "anonymize:step" && e.step.name === "data" && e.step.status === "ok") writing = false;
      },
    });
    writing = false;
    await writer;
    expect(r.ok, JSON.stringify(r.steps)).toBe(true);
    expect(writes).toBeGreaterThan(0);
    const [counts] = await pg.query<{ p: number; l: number; late_p: number; late_l: number }>(
      "SELECT (SELECT count(*) FROM partner)::int AS p, (SELECT count(*) FROM lead)::int AS l, (SELECT count(*) FROM partner WHERE id > 20300)::int AS late_p, (SELECT count(*) FROM lead WHERE partner_id > 20300)::int AS late_l",
      [], target,
    );
    // Partners and leads written together are both in the copy or both absent: one consistent state.
    expect(counts!.late_p).toBe(counts!.late_l);
    expect(counts!.p).toBe(20300 + counts!.late_p);
  } finally {
    writing = false;
    await writer.catch(() => {});
    await pg.dropDatabase(target);
  }
});

test("the check runs before every anonymization: an uncovered column refuses the run and creates nothing", async ({ pg, db }) => {
  await pg.query(SCHEMA, [], db.name);
  const target = `${db.name}_c`;
  const rules = loadRules({ text: RULES.replace("note: lorem", "") });
  const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules, secret: "s" });
  expect(r.ok).toBe(false);
  expect(r.published).toBe(false);
  expect(r.check.uncovered).toEqual([expect.objectContaining({ table: "partner", column: "note", suggestion: "html" })]);
  expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${target}%`])).toEqual([]);
});

test("an abort during the copy stops every worker: no connection left, the temporary database dropped, no target", async ({ pg, db }) => {
  await pg.query(SCHEMA, [], db.name);
  await pg.query("INSERT INTO partner (name, email) SELECT 'bulk ' || g, 'bulk' || g || '@corp.example' FROM generate_series(1, 200000) g", [], db.name);
  const target = `${db.name}_x`;
  const abort = new AbortController();
  let progressed = false;
  const run = anonymizeDatabase({
    sourceUrl: db.url, targetUrl: pg.url(target), rules: loadRules({ text: RULES }), secret: "s", jobs: 2, splitBytes: 256 * 1024, signal: abort.signal,
    onEvent: (e) => {
      if (e.type === "anonymize:progress" && e.rows > 0 && !progressed) {
        progressed = true;
        abort.abort();
      }
    },
  });
  await expect(run).rejects.toMatchObject({ name: "AbortedError" });
  expect(progressed).toBe(true);
  // The workers' connections close with their threads; PostgreSQL notices within moments.
  let left: unknown[] = [];
  for (let i = 0; i < 50; i++) {
    left = await pg.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'odoo-deploy anonymize'");
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(left).toEqual([]);
  expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${target.slice(0, 40)}%`])).toEqual([]);
});

test("indexes and constraints built while copying: the target's match the source's, partitioned ones come last", async ({ pg, db }) => {
  await pg.query(
    `${SCHEMA}
    CREATE INDEX partner_lower_email ON partner (lower(email)) WHERE active;
    CREATE UNIQUE INDEX lead_email_from_id ON lead (email_from, id) INCLUDE (partner_id);
    ALTER TABLE partner ADD CONSTRAINT partner_self UNIQUE (id, name);
    ALTER TABLE partner ADD COLUMN parent_id int REFERENCES partner(id) DEFERRABLE INITIALLY DEFERRED;
    CREATE TABLE event (id int, at date, partner_id int REFERENCES partner(id)) PARTITION BY RANGE (at);
    CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE INDEX event_at ON event (at, partner_id);
    ALTER TABLE event ADD PRIMARY KEY (id, at);
    INSERT INTO event SELECT g, date '2024-01-01' + g, g FROM generate_series(1, 300) g;
    CREATE TABLE audit (id int PRIMARY KEY, partner_id int REFERENCES partner(id));
    CREATE INDEX audit_partner ON audit (partner_id);`,
    [],
    db.name,
  );
  const rules = loadRules({ text: `${RULES}  event: { columns: {} }\n  event_2024: { columns: {} }\n  audit: { action: truncate }\n` });
  const target = `${db.name}_i`;
  const definitions = (d: string) =>
    pg.query<{ def: string }>(
      `SELECT c.relname || ': ' || pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
       UNION ALL SELECT conrelid::regclass || ': ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
       ORDER BY 1`,
      [],
      d,
    );
  try {
    const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules, secret: "s", jobs: 2, splitBytes: 8192 });
    expect(r.ok, JSON.stringify(r.steps)).toBe(true);
    const source = await definitions(db.name);
    expect(source.length).toBeGreaterThan(15);
    expect(await definitions(target)).toEqual(source);
    // The plain copied tables' ones were built during the copy; the partitioned table's, and the truncated
    // table's, after it.
    const detail = r.steps.find((s) => s.name === "post-data")?.detail ?? "";
    const [, early, total] = /^(\d+) of (\d+) /.exec(detail) ?? [];
    expect(Number(early)).toBeGreaterThanOrEqual(9);
    expect(Number(total) - Number(early)).toBeGreaterThanOrEqual(4);
    await expect(pg.query("INSERT INTO event VALUES (1, '2024-01-02', 1)", [], target)).rejects.toThrow(/duplicate key/);
    await expect(pg.query("INSERT INTO audit VALUES (1, 99999)", [], target)).rejects.toThrow(/foreign key/);
  } finally {
    await pg.dropDatabase(target);
  }
});

test("a unique index the fakes break fails the run, names the index, and leaves no database behind", async ({ pg, db }) => {
  await pg.query(SCHEMA, [], db.name);
  await pg.query("CREATE UNIQUE INDEX partner_email_key ON partner (email)", [], db.name);
  const target = `${db.name}_u`;
  // Every email becomes the same value: the source's unique index cannot be rebuilt.
  const rules = loadRules({ text: RULES.replace("email: email, Phone", "email: { strategy: constant, value: same@example.invalid }, Phone") });
  const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules, secret: "s", jobs: 2 });
  expect(r.ok).toBe(false);
  expect(r.published).toBe(false);
  const failed = r.steps.find((s) => s.status === "failed");
  expect(["data", "post-data"]).toContain(failed?.name);
  expect(failed?.detail).toMatch(/public\.partner.*partner_email_key/s);
  expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${target.slice(0, 40)}%`])).toEqual([]);
});
