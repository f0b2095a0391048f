import { describe, expect, test } from "vitest";
import { isDistinctiveSecret, isSecretKey, Redactor, redactText, redactUrl } from "./redact.js";

describe("positional redaction", () => {
  test.each([
    ["postgres://odoo:s3cret@db:5432/prod", "postgres://odoo:***@db:5432/prod"],
    ["postgresql://u:p%40ss@h/db?sslmode=require", "postgresql://u:***@h/db?sslmode=require"],
    ["see postgres://a:b@h/x and https://user:tok@git.example/repo", "see postgres://a:***@h/x and https://user:***@git.example/repo"],
    ["host=db password=hunter2 dbname=x", "host=db password=*** dbname=x"],
    ["host=db password = 'it''s x' dbname=x", "host=db password = *** dbname=x"],
    ["postgres://h/db?password=abc&user=u", "postgres://h/db?password=***&user=u"],
    ["postgres://h/db?password=a&b&user=u", "postgres://h/db?password=***&user=u"],
    ["postgres://odoo@db/prod", "postgres://odoo@db/prod"],
    ["postgres://db:5432/prod and mail@example.com", "postgres://db:5432/prod and mail@example.com"],
    ["postgres://[::1]:5432/prod", "postgres://[::1]:5432/prod"],
    ["postgres://u:pw@[::1]:5432/prod", "postgres://u:***@[::1]:5432/prod"],
    // Unencoded reserved characters and spaces do not end the password early, whatever the scheme.
    ["url postgres://odoo:pa#ss@h/db failed", "url postgres://odoo:***@h/db failed"],
    ["url postgres://odoo:pa/ss@h/db failed", "url postgres://odoo:***@h/db failed"],
    ["url postgres://odoo:pa?ss@h/db failed", "url postgres://odoo:***@h/db failed"],
    ["url postgres://odoo:p@ss:w@h/db failed", "url postgres://odoo:***@h/db failed"],
    ["url postgres://odoo:my pass word@h/db failed", "url postgres://odoo:***@h/db failed"],
    ["url postgre://odoo:pa#ss@h/db", "url postgre://odoo:***@h/db"],
    ["url redis://:s3cr3t@cache:6379/0", "url redis://:***@cache:6379/0"],
    ["url postgres://odoo:nohost", "url postgres://odoo:***"],
    // Env assignments, odoo.conf, flags, JSON, YAML, util.inspect, headers.
    ["env PGPASSWORD='x y' psql", "env PGPASSWORD=*** psql"],
    ["PGPASSWORD='it'\\''s' psql", "PGPASSWORD=*** psql"],
    ["export DB_PASS=ab; run", "export DB_PASS=*** run"],
    ["admin_passwd = admin\ndb_user = odoo", "admin_passwd = ***\ndb_user = odoo"],
    ["odoo-bin --db_password=odoo -d odoo", "odoo-bin --db_password=*** -d odoo"],
    ["odoo-bin --db_password odoo -d odoo", "odoo-bin --db_password *** -d odoo"],
    ['{"user": "odoo", "password": "odoo"}', '{"user": "odoo", "password": "***"}'],
    ["{ user: 'odoo', password: 'odoo', dbPassword: \"x\" }", "{ user: 'odoo', password: '***', dbPassword: \"***\" }"],
    ["ssh:\n  user: odoo\n  passphrase: ab cd\n", "ssh:\n  user: odoo\n  passphrase: ***\n"],
    ["Authorization: Bearer abc.def", "Authorization: ***"],
    ["key -----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY----- end", "key *** end"],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  test.each([
    // Ordinary text that merely looks a little like a secret stays whole.
    "odoo-bin exit code 0",
    "/opt/odoo/odoo-bin -c /etc/odoo/odoo.conf -d odoo -u sale --stop-after-init",
    "pg_dump --format=custom --no-password --dbname odoo",
    "password authentication failed for user \"odoo\"",
    "  payment_token: 12,000 rows, 3.1 MB",
    "      signup_token: hash  # varchar: a token",
    "environments.prod.odoo.ssh.password: Expected string, received number",
    "no anonymization secret: pass --secret-env VAR (or `secret: ${VAR}` in the rules file)",
    "secretEnv=ANON_SECRET privateKeyPath=/home/odoo/.ssh/id passwordFile=/run/secrets/db",
    "ssh:deploy@odoo.example.com:22",
    "http://localhost:8069/web/login?db=odoo",
  ])("kept: %s", (text) => {
    expect(redactText(text)).toBe(text);
  });

  test("redactUrl treats the whole string as one URL, however malformed", () => {
    expect(redactUrl("postgres://u:pw@[::1]:5433/db")).toBe("postgres://u:***@[::1]:5433/db");
    for (const pw of ["pa#ss", "pa/ss", "pa?ss", "p@ss", "pa ss", "12/ss", "pa\nss", "a:b"]) {
      const shown = redactUrl(`postgres://odoo:${pw}@db.internal:5432/odoo`);
      expect(shown).toBe("postgres://odoo:***@db.internal:5432/odoo");
    }
    expect(redactUrl("odoo:pa#ss@db/odoo")).toBe("odoo:***@db/odoo");
    expect(redactUrl("postgres://db.internal:5432/odoo")).toBe("postgres://db.internal:5432/odoo");
    expect(redactUrl("host=db password=x y")).toBe("host=db password=*** y");
  });
});

describe("which keys and values are secrets", () => {
  test("keys name secrets by their last word", () => {
    for (const k of ["PGPASSWORD", "password", "db_password", "dbPassword", "admin_passwd", "passphrase", "DB_PASS", "pwd", "GITHUB_TOKEN", "client_secret", "X-Api-Key", "privateKey", "SECRET_KEY", "Authorization", "ODOO_DEPLOY_ANONYMIZE_SECRET"]) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ["passwordFile", "secretEnv", "privateKeyPath", "user", "host", "bypass", "tokens", "hostKeyFingerprint", "AWS_ACCESS_KEY_ID", "change_password_wizard"]) {
      expect(isSecretKey(k), k).toBe(false);
    }
  });

  test("only values that cannot be ordinary text are masked by value", () => {
    for (const v of ["Sup3r-Secret", "xK9#mq2LpZ", "pa55:word", "3f9a1c0d8e7b6a5f4e3d", "correct-Horse-7"]) expect(isDistinctiveSecret(v), v).toBe(true);
    for (const v of ["odoo", "admin", "postgres", "1234", "12345678", "odoo-bin", "/opt/odoo/odoo-bin", "correct horse battery staple", "OdooAdmin", "password", "sale_management"]) {
      expect(isDistinctiveSecret(v), v).toBe(false);
    }
  });
});

describe("Redactor", () => {
  test("a distinctive declared value is masked anywhere, raw, percent-encoded or JSON-escaped, in strings and JSON", () => {
    const r = new Redactor().addSecret('p@ss "Word" 9').addSecret("Zq8#kLm2p").addUrl("postgres://u:xyZ%2F1234@h/db");
    expect(r.text("error: auth failed for Zq8#kLm2p")).toBe("error: auth failed for ***");
    expect(r.text("url Zq8%23kLm2p")).toBe("url ***");
    expect(r.text("xyZ/1234 leaked")).toBe("*** leaked");
    expect(r.value({ a: ["Zq8#kLm2p", 1], b: { c: "x xyZ/1234" } })).toEqual({ a: ["***", 1], b: { c: "x ***" } });
    // Whitespace makes a value ordinary text: masked only where it stands.
    expect(r.text('p@ss "Word" 9')).toBe('p@ss "Word" 9');
  });

  test("password odoo for user odoo: the password is masked where it stands and nothing else is touched", () => {
    const url = "postgres://odoo:odoo@db:5432/odoo";
    const r = new Redactor().addUrl(url).addSecret("odoo");
    const report = {
      database: url,
      command: "/opt/odoo/odoo-bin -d odoo -u sale",
      detail: "odoo-bin exit code 0; user odoo; PGPASSWORD=odoo; conninfo host=db user=odoo password=odoo",
      error: `database server unreachable at ${url}: connect ECONNREFUSED`,
    };
    expect(r.value(report)).toEqual({
      database: "postgres://odoo:***@db:5432/odoo",
      command: "/opt/odoo/odoo-bin -d odoo -u sale",
      detail: "odoo-bin exit code 0; user odoo; PGPASSWORD=*** conninfo host=db user=odoo password=***",
      error: "database server unreachable at postgres://odoo:***@db:5432/odoo: connect ECONNREFUSED",
    });
  });

  test("a known URL is shown redacted wherever it appears whole, even with a space in its password", () => {
    const url = "postgres://odoo:my secret@db/odoo";
    const r = new Redactor().addUrl(url);
    expect(r.text(`cannot connect to ${url} now`)).toBe("cannot connect to postgres://odoo:***@db/odoo now");
  });

  test("config(): secret-named keys are masked whatever the value's length; URLs lose their password; the rest stays", () => {
    const r = new Redactor();
    const shown = r.config({
      database: { url: "postgres://odoo:ab@db/odoo", name: "odoo" },
      odoo: { odooBin: "/opt/odoo/odoo-bin", ssh: { host: "h", user: "odoo", password: "ab", passphrase: "x", privateKeyPath: "/home/odoo/.ssh/id" } },
      extra: { token: 12 },
    });
    expect(shown).toEqual({
      database: { url: "postgres://odoo:***@db/odoo", name: "odoo" },
      odoo: { odooBin: "/opt/odoo/odoo-bin", ssh: { host: "h", user: "odoo", password: "***", passphrase: "***", privateKeyPath: "/home/odoo/.ssh/id" } },
      extra: { token: "***" },
    });
  });

  test("value() does not mask by key: reports key maps by data (a table named payment_token)", () => {
    expect(new Redactor().value({ rowCounts: { payment_token: 5 }, modules: { auth_api_key: "16.0.1.0.0" } })).toEqual({
      rowCounts: { payment_token: 5 },
      modules: { auth_api_key: "16.0.1.0.0" },
    });
  });

  test("addSecretsIn() finds the secrets of a config by key and URL", () => {
    const r = new Redactor().addSecretsIn({ a: { password: "Qw3rty-uiop", url: "postgres://u:Zx9%23vbnm12@h/d" }, name: "Lab-2024-db" });
    expect(r.text("Qw3rty-uiop Zx9#vbnm12 Lab-2024-db")).toBe("*** *** Lab-2024-db");
  });
});
