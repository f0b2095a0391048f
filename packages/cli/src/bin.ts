#!/usr/bin/env node
// SIGINT, SIGTERM and SIGHUP (a dropped SSH session or terminal) abort the running command, which cleans up: kills
// child processes, removes temp files, finishes or undoes a swap it is in the middle of. A second SIGINT exits at
// once (what that leaves half-done, the next run of the command settles).
const controller = new AbortController();
let interrupted = 0;
process.on("SIGINT", () => {
  interrupted++;
  if (interrupted > 1) process.exit(130);
  controller.abort(new Error("interrupted (SIGINT)"));
});
process.on("SIGTERM", () => controller.abort(new Error("terminated (SIGTERM)")));
process.on("SIGHUP", () => controller.abort(new Error("the terminal went away (SIGHUP)")));
// Once the terminal is gone, writing to it fails (EIO, EPIPE): the clean-up must go on, not die on an unhandled
// stream error; whatever could not be shown is lost, the exit code still tells.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});

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
