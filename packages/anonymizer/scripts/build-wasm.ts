// Compiles src/accelerator/wasm/siphash.wat into src/accelerator/wasm/siphash-wasm.ts (the bytes, base64).
//   npm run wasm -w @odoo-deploy/anonymizer
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileWat } from "./compile-wat.js";

const wat = fileURLToPath(new URL("../src/accelerator/wasm/siphash.wat", import.meta.url));
const out = fileURLToPath(new URL("../src/accelerator/wasm/siphash-wasm.ts", import.meta.url));
writeFileSync(out, await compileWat(readFileSync(wat, "utf8")));
console.log(`wrote ${out}`);
