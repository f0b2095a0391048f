/**
 * Regenerates packages/cli/odoo-deploy.schema.json from the zod schema that validates odoo-deploy.yaml.
 * Run with `npm run schema`; a test fails when the committed file is out of date.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configJsonSchema } from "../src/config/schema.js";

const target = fileURLToPath(new URL("../odoo-deploy.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
