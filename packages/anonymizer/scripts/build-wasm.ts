// Compiles each src/accelerator/wasm/NAME.wat into src/accelerator/wasm/NAME-wasm.ts (the bytes, base64).
//   npm run wasm -w @odoo-deploy/anonymizer
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileWat, WASM_MODULES } from "./compile-wat.js";

for (const { name, constant } of WASM_MODULES) {
  const wat = fileURLToPath(new URL(`../src/accelerator/wasm/${name}.wat`, import.meta.url));
  const out = fileURLToPath(new URL(`../src/accelerator/wasm/${name}-wasm.ts`, import.meta.url));
  writeFileSync(out, await compileWat(readFileSync(wat, "utf8"), name, constant));
  console.log(`wrote ${out}`);
}
