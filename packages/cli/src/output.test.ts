import { expect, test } from "@odoo-deploy/testkit/vitest";
import { runCaptured } from "./test-helpers.js";

test("human output names the database short, never the URL nor its password; --quiet prints nothing but errors", async ({ labDb, pg }) => {
  const url = `postgres://postgres:Very%20Secret@localhost/${labDb.name}?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}`;
  const human = await runCaptured(["status", "--db-url", url]);
  expect(human.code, human.stderr).toBe(0);
  expect(human.stderr).toContain(`Database ${labDb.name} on the local socket, port ${pg.port}\n`);
  expect(human.stderr).not.toContain("postgres://");
  expect(human.stderr).not.toMatch(/Very|Secret|\*\*\*/);
  expect(human.stderr).not.toContain(String.fromCharCode(27)); // not a terminal: no colours

  const quiet = await runCaptured(["status", "--db-url", url, "--quiet"]);
  expect(quiet.code).toBe(0);
  expect(quiet.stdout + quiet.stderr).toBe("");

  const failing = await runCaptured(["status", "--db-url", "postgres://odoo:Very-Secret@127.0.0.1:1/prod", "--quiet"]);
  expect(failing.code).toBe(3);
  expect(failing.stderr).toMatch(/^error: /);
  expect(failing.stderr).not.toContain("Very-Secret");
});
