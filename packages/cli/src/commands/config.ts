import { defineCommand } from "../command.js";
import { configJsonSchema } from "../config/schema.js";

/** `odoo-deploy config show`: the settings in force after defaults < file < environment < flags. */
export const configShow = defineCommand({
  path: "config show",
  summary: "Validate odoo-deploy.yaml and show the resolved settings of an environment (secrets redacted)",
  async run(ctx) {
    return {
      ok: true,
      durationMs: 0,
      file: ctx.loaded.file ?? null,
      environment: ctx.loaded.environment ?? null,
      // Masked here by key (a two-letter SSH password too), not only by the value-and-shape redaction of output.
      settings: ctx.redactor.config(ctx.settings) as Record<string, unknown>,
    };
  },
  render(r, out) {
    out.heading(`Config ${r.file ?? "(no file: defaults and environment only)"}${r.environment ? `, environment ${r.environment}` : ""}`);
    for (const line of JSON.stringify(r.settings, null, 2).split("\n")) out.raw(`  ${line}`);
  },
});

/** `odoo-deploy config schema`: the JSON Schema of odoo-deploy.yaml, for editors. */
export const configSchema = defineCommand({
  path: "config schema",
  summary: "Print the JSON Schema of odoo-deploy.yaml on stdout",
  stdoutIsData: true,
  async run(ctx) {
    ctx.io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return { ok: true, durationMs: 0 };
  },
  render() {},
});
