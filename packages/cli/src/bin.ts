#!/usr/bin/env node
// SIGINT aborts the running command (which cleans up: kills child processes, removes temp files); a second
// SIGINT exits at once.
const controller = new AbortController();
let interrupted = 0;
process.on("SIGINT", () => {
  interrupted++;
  if (interrupted > 1) process.exit(130);
  controller.abort(new Error("interrupted (SIGINT)"));
});
process.on("SIGTERM", () => controller.abort(new Error("terminated (SIGTERM)")));

// Imported after the handlers are in place: loading the library takes a moment, and a signal during it must
// not kill the process without the handlers' clean-up path.
const { runCli } = await import("./main.js");
const code = await runCli(process.argv.slice(2), {
  signal: controller.signal,
  io: {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutStream: process.stdout,
    env: process.env,
    cwd: process.cwd(),
  },
});
process.exitCode = code;
