import { UsageError } from "@odoo-deploy/core";
import { expect, test } from "vitest";
import { runnerSpecFor } from "./runners.js";

test("config sections become runner specs", () => {
  expect(runnerSpecFor("database", {})).toEqual({ kind: "local" });
  expect(runnerSpecFor("database", { runner: "docker", docker: { container: "db", host: "unix:///run/docker.sock", user: "postgres" } })).toEqual({
    kind: "docker",
    container: "db",
    docker: "unix:///run/docker.sock",
    user: "postgres",
  });
  expect(runnerSpecFor("odoo", { runner: "docker", docker: { composeProject: "erp", composeService: "odoo" } })).toEqual({
    kind: "docker",
    compose: { project: "erp", service: "odoo" },
  });
  // With an image, updates run in a one-off container of the new image, with its network and env file.
  expect(
    runnerSpecFor("odoo", { runner: "docker", docker: { container: "odoo", network: "erp_default", envFile: "/srv/odoo.env" } }, { image: "odoo:17-new" }),
  ).toEqual({ kind: "docker", image: "odoo:17-new", network: "erp_default", envFile: "/srv/odoo.env" });
  expect(
    runnerSpecFor("odoo", {
      runner: "ssh",
      ssh: { host: "erp.internal", user: "deploy", port: 2222, privateKeyPath: "/k", hostKeyFingerprint: "SHA256:abc", allowUnknownHostKey: true },
    }),
  ).toEqual({
    kind: "ssh",
    host: "erp.internal",
    user: "deploy",
    port: 2222,
    privateKeyPath: "/k",
    hostKeyFingerprint: "SHA256:abc",
    hostKeyPolicy: "accept-unknown",
  });
});

test("incomplete runner settings are usage errors naming the missing keys", () => {
  expect(() => runnerSpecFor("database", { runner: "docker" })).toThrow(UsageError);
  expect(() => runnerSpecFor("database", { runner: "docker" })).toThrow(/database\.docker\.container/);
  expect(() => runnerSpecFor("odoo", { runner: "ssh" })).toThrow(/odoo\.ssh \(host, user, key\)/);
});
