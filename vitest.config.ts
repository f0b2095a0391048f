import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string, file = "index.ts") => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of the workspace packages, not their builds.
    alias: [
      { find: /^@odoo-deploy\/testkit\/vitest$/, replacement: src("testkit", "vitest.ts") },
      { find: /^@odoo-deploy\/testkit$/, replacement: src("testkit") },
      { find: /^@odoo-deploy\/core$/, replacement: src("core") },
      { find: /^@odoo-deploy\/core\/base$/, replacement: src("core", "base.ts") },
      { find: /^@odoo-deploy\/anonymizer$/, replacement: src("anonymizer") },
      { find: /^@odoo-deploy\/cli$/, replacement: src("cli") },
    ],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    globalSetup: ["./packages/testkit/src/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Two test files at a time on this 2-core machine: most of a test's time is spent waiting on PostgreSQL,
    // Docker, sshd or a child process, and vitest's default (cores - 1) ran the suite one file after another.
    maxWorkers: 2,
    reporters: ["default", "./packages/testkit/src/summary-reporter.ts"],
  },
});
