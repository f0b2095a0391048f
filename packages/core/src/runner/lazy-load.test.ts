import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

// A fresh Node process imports the package's source (through tsx, as the tests do) and reports which of the heavy
// CommonJS clients it loaded, before and after asking for a Docker client.
const script = `
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const loaded = () => ["dockerode", "ssh2"].filter((m) => Object.keys(require.cache).some((k) => k.includes("/node_modules/" + m + "/")));
const core = await import(${JSON.stringify(fileURLToPath(new URL("../index.ts", import.meta.url)))});
const atImport = loaded();
core.dockerClient("unix:///nonexistent.sock");
console.log(JSON.stringify({ atImport, afterDockerClient: loaded() }));
`;

test("importing the package loads neither dockerode nor ssh2; a Docker client loads dockerode", () => {
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
  const r = JSON.parse(out) as { atImport: string[]; afterDockerClient: string[] };
  expect(r.atImport).toEqual([]);
  expect(r.afterDockerClient).toContain("dockerode");
});
