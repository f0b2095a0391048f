// (Over 300 lines: the binary COPY format's edge cases, each a short test against a real PostgreSQL.)
import { Arena } from "../accelerator/arena.js";
import { test, expect } from "@odoo-deploy/testkit/vitest";
import pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { buildPlan } from "../check/plan.js";
import { readCatalog } from "../engine/catalog.js";
import { compileTable } from "../engine/compile-table.js";
import { loadRules } from "../rules/load.js";
import { Anonymizer } from "../strategies/anonymizer.js";
import { BinaryCopyTransform } from "./binary-transform.js";
import { CopyRowTransform, type BinaryKind, type RowTransformSpec } from "./row-transform.js";

const NASTY = ["plain", "tab\there", "new\nline \r", "back\\slash \\N", "\\N", "", "unicode: é ü 漢字 🎉 \u00a0", "a\u0001control"];

async function copyOutBytes(client: pg.Client, sql: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(client.query(copyTo(sql)), new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  return Buffer.concat(chunks);
}

const inChunks = (b: Buffer, size: number) => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, i * size + size));

async function collect(input: Buffer[], tr: Writable & Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(input), tr, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  return Buffer.concat(out);
}

const SCHEMA = `CREATE TABLE src (id int, t text, v varchar(40), c char(6), b bytea, a text[], j jsonb, js json, big bigint,
                                 flag boolean, u uuid, n numeric, ts timestamp, "Mixed Case" text);
                CREATE TABLE dst (LIKE src)`;
const KINDS: BinaryKind[] = ["int4", "text", "text", "text", "other", "other", "jsonb", "text", "int8", "bool", "uuid", "other", "other", "text"];
const COLUMNS = ["id", "t", "v", "c", "b", "a", "j", "js", "big", "flag", "u", "n", "ts", "Mixed Case"];

async function withSource(url: string, fn: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(SCHEMA);
    for (const [i, s] of NASTY.entries()) {
      await client.query(
        `INSERT INTO src VALUES ($1::int, $2::text, left($2::text, 40), left($2::text, 6), convert_to($2::text, 'UTF8'), ARRAY[$2::text, NULL],
                                jsonb_build_object('en_US', $2::text, 'n', $1::int), json_build_object('k', $2::text), 9007199254740993 + $1::int,
                                $1::int % 2 = 0, md5($2::text)::uuid, 1.5 / ($1::int + 1), '2024-02-29 12:34:56.789'::timestamp + ($1::int || ' days')::interval, $2::text)`,
        [i, s],
      );
    }
    await client.query(`INSERT INTO src VALUES (100, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                                               (101, '\\N', '', '', '', '{}', '{}', '{}', -1, false, '00000000-0000-0000-0000-000000000000', 'NaN', 'infinity', '')`);
    await fn(client);
  } finally {
    await client.end();
  }
}

test("COPY binary round trip through the transform is identical for nasty values and every type, on strings and on bytes", async ({ db }) => {
  await withSource(db.url, async (client) => {
    const original = await copyOutBytes(client, "COPY src TO STDOUT (FORMAT binary)");
    // Decode and re-encode every text column (the worst case), in 7-byte chunks that split lengths and values anywhere.
    const spec: RowTransformSpec = { table: "src", columns: COLUMNS, transforms: KINDS.map((k) => (k === "text" || k === "jsonb" ? (v: string) => v : undefined)), binary: KINDS };
    const tr = new BinaryCopyTransform(spec, { arena: new Arena() });
    await pipeline(Readable.from(inChunks(original, 7)), tr, client.query(copyFrom("COPY dst FROM STDIN (FORMAT binary)")));
    expect(tr.stats.rows).toBe(NASTY.length + 2);
    expect((await copyOutBytes(client, "COPY dst TO STDOUT")).equals(await copyOutBytes(client, "COPY src TO STDOUT"))).toBe(true);
    // The same on bytes (a limit of 16 bytes sends every row there), and with the whole stream in one chunk.
    expect((await collect(inChunks(original, 7), new BinaryCopyTransform(spec, { arena: new Arena(), maxTextBytes: 16 }))).equals(original)).toBe(true);
    expect((await collect([original], new BinaryCopyTransform(spec, { arena: new Arena() }))).equals(original)).toBe(true);
    const r = await client.query("SELECT id, t IS NULL AS isnull, t, v FROM dst WHERE id IN (100, 101) ORDER BY id");
    expect(r.rows).toEqual([
      { id: 100, isnull: true, t: null, v: null },
      { id: 101, isnull: false, t: "\\N", v: "" },
    ]);
  });
});

test("the same rules give the same rows in text and in binary format, and rules read numbers, booleans and uuids as PostgreSQL prints them", async ({ db }) => {
  await withSource(db.url, async (client) => {
    const anonymizer = new Anonymizer({ secret: "s" });
    const transforms = COLUMNS.map((c) =>
      c === "t" ? anonymizer.compile({ strategy: "template", template: "{{id}}|{{big}}|{{flag}}|{{u}}|{{v}}" })
      : c === "v" ? anonymizer.compile("email")
      : c === "j" ? anonymizer.compile({ strategy: "jsonb", each: "name" })
      : c === "n" ? anonymizer.compile("null")
      : undefined,
    );
    const spec: RowTransformSpec = { table: "src", columns: COLUMNS, transforms };
    await pipeline(client.query(copyTo("COPY src TO STDOUT")), new CopyRowTransform(spec, { arena: new Arena() }), client.query(copyFrom("COPY dst FROM STDIN")));
    await client.query("CREATE TABLE dst2 (LIKE src)");
    await pipeline(client.query(copyTo("COPY src TO STDOUT (FORMAT binary)")), new BinaryCopyTransform({ ...spec, binary: KINDS }, { arena: new Arena() }), client.query(copyFrom("COPY dst2 FROM STDIN (FORMAT binary)")));
    const asText = await client.query("SELECT * FROM dst ORDER BY id");
    const asBinary = await client.query("SELECT * FROM dst2 ORDER BY id");
    expect(asBinary.rows).toEqual(asText.rows);
    const expected = await client.query("SELECT id, id || '|' || big || '|' || flag::text || '|' || u AS prefix, v FROM src WHERE t IS NOT NULL ORDER BY id");
    const got = new Map(asBinary.rows.map((r: { id: number; t: string }) => [r.id, r.t]));
    for (const e of expected.rows as { id: number; prefix: string; v: string | null }[]) {
      expect(got.get(e.id)!.startsWith(`${e.prefix.replace(/\|(true|false)\|/, (_, b: string) => `|${b[0]}|`)}|`)).toBe(true);
      if (e.v) expect(got.get(e.id)).not.toContain(e.v);
    }
    expect(asBinary.rows.every((r: { n: unknown }) => r.n === null)).toBe(true);
    expect(asBinary.rows.find((r: { id: number }) => r.id === 6)!.j.en_US).not.toContain("unicode");
  });
});

test("binary format is chosen only where every column's binary form is portable and rules can read and write it", async ({ pg: cluster, db }) => {
  await cluster.query(
    `CREATE TYPE mood AS ENUM ('ok', 'sad');
     CREATE TABLE plain (id int, name text, price numeric, doc jsonb, at timestamp);
     CREATE TABLE with_enum (id int, name text, m mood);
     CREATE TABLE const_price (id int, price numeric);
     CREATE TABLE template_price (id int, price numeric, label text);
     CREATE TABLE with_regclass (id int, name text, rel regclass);
     CREATE TABLE with_name_type (id int, n name);`,
    [],
    db.name,
  );
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const catalog = await readCatalog(client);
    const rules = loadRules({
      text: `version: 1
tables:
  plain: { columns: { name: name, price: "null", doc: { strategy: jsonb, each: lorem } } }
  with_enum: { columns: { name: name } }
  const_price: { columns: { price: { strategy: constant, value: "1" } } }
  template_price: { columns: { label: { strategy: template, template: "{{price}}" } } }
  with_regclass: { columns: { name: name } }
  with_name_type: { columns: { n: name } }
`,
    });
    const plan = buildPlan(catalog, rules);
    const anonymizer = new Anonymizer({ secret: "s" });
    const format = (t: string) => compileTable(plan.tables.find((p) => p.info.ruleName === t)!, anonymizer).binary;
    expect(format("plain")).toEqual(["int4", "text", "other", "jsonb", "other"]);
    expect(format("with_enum")).toBeUndefined(); // a user-defined type's binary form names its OID
    expect(format("const_price")).toBeUndefined(); // a number written by a rule needs its text form
    expect(format("template_price")).toBeUndefined(); // a rule reads a numeric
    expect(format("with_regclass")).toBeUndefined(); // binary would carry the source's OIDs, text carries names
    expect(format("with_name_type")).toBeUndefined(); // binary input of name refuses what text input cuts to 63 bytes
    expect(compileTable(plan.tables.find((p) => p.info.ruleName === "plain")!, anonymizer, { binary: false }).binary).toBeUndefined();
  } finally {
    await client.end();
  }
});

test("binary data that is not COPY binary format, or stops in the middle of a row, is refused", async () => {
  const spec: RowTransformSpec = { table: "t", columns: ["a"], transforms: [(v) => v], binary: ["text"] };
  await expect(collect([Buffer.from("1\tx\n")], new BinaryCopyTransform(spec, { arena: new Arena() }))).rejects.toThrow(/not in COPY binary format/);
  const header = Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1");
  const row = Buffer.from([0, 1, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
  await expect(collect([header, row.subarray(0, 7)], new BinaryCopyTransform(spec, { arena: new Arena() }))).rejects.toThrow(/ends in the middle of a row/);
  await expect(collect([header, Buffer.from([0, 2, 0, 0, 0, 0])], new BinaryCopyTransform(spec, { arena: new Arena() }))).rejects.toThrow(/has 2 fields, expected 1/);
  const whole = await collect([header, row, Buffer.from([0xff, 0xff])], new BinaryCopyTransform({ ...spec, transforms: [(v) => v.toUpperCase()] }, { arena: new Arena() }));
  expect(whole.subarray(header.length)).toEqual(Buffer.from([0, 1, 0, 0, 0, 3, 0x41, 0x42, 0x43, 0xff, 0xff]));
});

test("a row over the string limit after smaller rows in the same chunk is rewritten with its own fields", async () => {
  const header = Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1");
  const tuple = (s: string) => Buffer.concat([Buffer.from([0, 1, 0, 0, 0, s.length]), Buffer.from(s)]);
  const upper = { table: "t", columns: ["a"], transforms: [(v: string) => v.toUpperCase()], binary: ["text"] } satisfies RowTransformSpec;
  const big = "x".repeat(40);
  const input = Buffer.concat([header, tuple("ab"), tuple("cd"), tuple(big), tuple("ef"), Buffer.from([0xff, 0xff])]);
  const expected = Buffer.concat([header, tuple("AB"), tuple("CD"), tuple(big.toUpperCase()), tuple("EF"), Buffer.from([0xff, 0xff])]);
  // One chunk (bigger than the limit: runs and the huge row are cut from it) and byte by byte.
  expect((await collect([input], new BinaryCopyTransform(upper, { arena: new Arena(), maxTextBytes: 20 }))).equals(expected)).toBe(true);
  expect((await collect(inChunks(input, 1), new BinaryCopyTransform(upper, { arena: new Arena(), maxTextBytes: 20 }))).equals(expected)).toBe(true);
});

test("rewritten binary rows come out whole and in order, with values over 256 KiB and chunks of every size", async () => {
  const header = Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1");
  const field = (s: string | null) => {
    if (s === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const length = Buffer.alloc(4);
    length.writeInt32BE(Buffer.byteLength(s));
    return Buffer.concat([length, Buffer.from(s)]);
  };
  const tuple = (values: (string | null)[]) => Buffer.concat([Buffer.from([0, values.length]), ...values.map(field)]);
  // Column b is rewritten: most values a little longer, every 500th row 300 KiB (over the 256 KiB regions), and a
  // non-ASCII one (encoded as UTF-8); a and c pass as they are.
  const grow = (v: string) => (v.endsWith("0") && v.length % 2 === 0 ? v.repeat(300 * 1024 / v.length + 1) : v.startsWith("é") ? `${v}ü` : `${v}+`);
  const spec: RowTransformSpec = { table: "t", columns: ["a", "b", "c"], transforms: [undefined, Object.assign(grow, { charset: "asciiIn" as const }), undefined], binary: ["text", "text", "text"] };
  const rows: (string | null)[][] = [];
  for (let i = 0; i < 3000; i++) rows.push([`a${i}`, i % 7 === 0 ? null : i % 500 === 0 ? `b${i}`.padEnd(10, "0") : i === 11 ? "é11" : `b${i}`, `c${"x".repeat(i % 50)}`]);
  const input = Buffer.concat([header, ...rows.map(tuple), Buffer.from([0xff, 0xff])]);
  const expected = Buffer.concat([header, ...rows.map(([a, b, c]) => tuple([a!, b === null ? null : grow(b!), c!])), Buffer.from([0xff, 0xff])]);
  for (const size of [input.length, 65536, 7000, 1]) {
    const out = await collect(inChunks(input, size), new BinaryCopyTransform(spec, { arena: new Arena() }));
    expect(out.length, `chunks of ${size}`).toBe(expected.length);
    expect(out.equals(expected), `chunks of ${size}`).toBe(true);
  }
  // Two in a row, each with its own arena: the second runs while the first passes its rows on.
  const twice = Buffer.concat([header, ...rows.map(([a, b, c]) => tuple([a!, b === null ? null : grow(grow(b!)), c!])), Buffer.from([0xff, 0xff])]);
  const out: Buffer[] = [];
  await pipeline(Readable.from(inChunks(input, 65536)), new BinaryCopyTransform(spec, { arena: new Arena() }), new BinaryCopyTransform(spec, { arena: new Arena() }), new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
  expect(Buffer.concat(out).equals(twice)).toBe(true);
});

test("e-mail headers rewritten from the row's bytes (names and addresses hashed by offset) equal those rewritten from strings", async () => {
  const header = Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1");
  const tuple = (s: string) => {
    const bytes = Buffer.from(s, "utf8");
    const length = Buffer.alloc(4);
    length.writeInt32BE(bytes.length);
    return Buffer.concat([Buffer.from([0, 1]), length, bytes]);
  };
  const headers = [
    '"Jane Doe" <jane@example.com>',
    "Jane Doe <JANE@Example.com>",
    ' \t "  Jane  Doe " \v <jane@example.com>',
    "\fJohn\r <john.smith@mail.example.org>",
    '"Zoë Müller" <zoe@example.com>', // not ASCII: hashed from strings
    '"A, B" <ab@example.com>, c@example.com',
    "jane@example.com",
    "<only@example.com>",
    '"Quote "inside"" <q@example.com>',
    "Name <no-at-sign>",
    '"" <empty@example.com>',
    "Jane <>",
  ];
  // And many more, of the common form or close to it, with white space of every kind in every place.
  let seed = 3;
  const pick = <T>(items: T[]) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return items[(seed >>> 0) % items.length]!;
  };
  for (let k = 0; k < 600; k++) {
    // every other one from pieces of the common form only
    const common = k % 2 === 0;
    const space = () => pick(common ? ["", " ", "\t", "\v", "\f", "\r\n"] : ["", " ", "\u00a0"]);
    const q = pick(["", '"']);
    const name = pick(common ? ["Jane Doe", "J", "J@x"] : ["Jane Doe", "Doe, Jane", 'Ja"ne', "Zoë", ""]);
    const address = pick(common ? ["jane@example.com", "Jane.Doe@Example.org"] : ["jane@example.com", "", "jane"]);
    headers.push(space() + q + space() + name + space() + (common ? q : pick([q, "", '"'])) + space() + "<" + address + (common ? ">" : pick([">", "", ">x"])));
  }
  // Reference: the same rule called on strings, with a view that never stages.
  const referenceAnonymizer = new Anonymizer({ secret: "s" });
  const reference = referenceAnonymizer.compile("email");
  const strings = { original: () => null, output: () => null };
  const expected = headers.map((h) => reference(h, strings)!);
  const anonymizer = new Anonymizer({ secret: "s" });
  const email = anonymizer.compile("email");
  // Counts the headers the row has as plain ASCII bytes (their parts are then hashed by offset); the others take the string.
  let fromBytes = 0;
  const counted = Object.assign((v: string, row: Parameters<typeof email>[1]) => {
    if (row.stage && row.stage(v) >= 0) fromBytes++;
    return email(v, row);
  }, { charset: email.charset });
  const spec: RowTransformSpec = { table: "t", columns: ["email_from"], transforms: [counted], binary: ["text"] };
  const out = await collect([Buffer.concat([header, ...headers.map(tuple), Buffer.from([0xff, 0xff])])], new BinaryCopyTransform(spec, { arena: new Arena() }));
  const got: string[] = [];
  for (let p = header.length; out.readInt16BE(p) !== -1; ) {
    const n = out.readInt32BE(p + 2);
    got.push(out.toString("utf8", p + 6, p + 6 + n));
    p += 6 + n;
  }
  expect(got).toEqual(expected);
  expect(fromBytes, "ASCII headers are hashed from their bytes").toBeGreaterThan(150);
  expect(headers.length - fromBytes, "others from their strings").toBeGreaterThan(50);
  expect(anonymizer.fakeValues, "each header counted once").toBe(referenceAnonymizer.fakeValues);
  // Each name and address was replaced (the display names and addresses of the originals are gone).
  for (const [i, h] of headers.entries()) for (const part of ["Jane", "John", "jane@", "john.smith", "Zoë"]) if (h.includes(part)) expect(got[i]).not.toContain(part);
});

test("binary fields of a staged chunk get the fakes of the string path, for ASCII values (hashed from their bytes) and others", async () => {
  const header = Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1");
  const field = (s: string | null) => {
    if (s === null) return Buffer.from([0xff, 0xff, 0xff, 0xff]);
    const bytes = Buffer.from(s, "utf8");
    const length = Buffer.alloc(4);
    length.writeInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const tuple = (values: (string | null)[]) => Buffer.concat([Buffer.from([0, values.length]), ...values.map(field)]);
  const fields = (out: Buffer, columns: number) => {
    const rows: (string | null)[][] = [];
    for (let p = header.length; out.readInt16BE(p) !== -1; ) {
      p += 2;
      const row: (string | null)[] = [];
      for (let c = 0; c < columns; c++) {
        const n = out.readInt32BE(p);
        row.push(n < 0 ? null : out.toString("utf8", p + 4, p + 4 + n));
        p += 4 + Math.max(n, 0);
      }
      rows.push(row);
    }
    return rows;
  };

  // Real rules: the same fakes as the string path, for ASCII values (from bytes) and others (from strings).
  const rules = ["name", "phone", "city", "html", { strategy: "hash", length: 12 }, { strategy: "fake", method: "person.jobTitle" }, "email", { strategy: "mask", keepFirst: 2 }, { strategy: "mask", keepFirst: 1, keepLast: 3, char: "#" }] as const;
  const values = [
    ["Jane Doe", "+32 2 555 01 02", "Brussels", "<p>Hello <b>Jane</b> &amp; co</p>", "REF001", "Manager", " Jane@Example.COM", "BE0123456789", "IBAN BE71 0961 2345 6769"],
    [" JANE DOE ", "+3225550102", "Bruxelles", '<a href="mailto:j@x.org">Jane</a>', "REF001", "Manager", '"Jane Doe" <jane@example.com>', "B", "abcd"],
    ["Zoë Müller", "+32 (0)2 555 01 02", "Liège", "<p>Zoë</p>", "RÉF", "Gérant", "zoë@example.com", "Zoë", "ÉÉÉÉÉ🎉"],
    [null, null, "", "", "", null, "a@x.org, b@y.org", "", null],
  ];
  const reference = new Anonymizer({ secret: "s" });
  const strings = { original: () => null, output: () => null };
  const expected = values.map((row) => row.map((v, c) => (v === null ? null : reference.compile(rules[c]!)(v, strings))));
  const anonymizer = new Anonymizer({ secret: "s" });
  const transforms = rules.map((r) => anonymizer.compile(r));
  const spec: RowTransformSpec = { table: "t", columns: rules.map((_, c) => `c${c}`), transforms, binary: rules.map(() => "text" as const) };
  const out = await collect([Buffer.concat([header, ...values.map(tuple), Buffer.from([0xff, 0xff])])], new BinaryCopyTransform(spec, { arena: new Arena() }));
  expect(fields(out, rules.length)).toEqual(expected);
  expect(anonymizer.fakeValues, "each value counted once").toBe(reference.fakeValues);
});
