#!/usr/bin/env node
// The `odoo-deploy` command. This file is committed (not built) so that npm links it in a checkout at
// `npm ci` time, before the build exists; it only loads the build.
try {
  await import("../dist/bin.js");
} catch (error) {
  const missing = error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("/dist/bin.js");
  if (!missing) throw error;
  process.stderr.write("error: odoo-deploy is not built in this checkout\nhint: run `npm run build` at the repository root\n");
  process.exitCode = 2;
}
