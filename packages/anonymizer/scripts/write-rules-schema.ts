// Regenerates packages/anonymizer/rules.schema.json from the zod schema (a test checks they match).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { rulesJsonSchema } from "../src/rules/schema.js";

const target = fileURLToPath(new URL("../rules.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
