import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const bin = fileURLToPath(new URL("./bin.ts", import.meta.url));

test.each(["SIGINT", "SIGTERM"] as const)("%s aborts the running command: exit 130, no waiting for its deadline", async (sig) => {
  // Nothing listens on port 1: without the abort, health would keep polling for its whole 10-minute deadline.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=source", bin, "health", "--url", "http://127.0.0.1:1", "--timeout", "10m", "--verbose"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  // The first progress line proves the command is running (not still loading) when the signal arrives.
  const running = new Promise<void>((resolve) =>
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      resolve();
    }),
  );
  await running;
  child.kill(sig);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  expect(code).toBe(130);
  expect(stderr).toMatch(/error: health check aborted/);
});
