import wabtInit from "wabt";

/** The accelerator's WebAssembly sources (src/accelerator/wasm/NAME.wat) and the constant each is embedded as. */
export const WASM_MODULES = [
  { name: "siphash", constant: "SIPHASH_WASM_BASE64" },
  { name: "text", constant: "TEXT_WASM_BASE64" },
] as const;

/** The TypeScript module embedding the WebAssembly compiled from `source` (the WAT of module `name`). */
export async function compileWat(source: string, name: string, constant: string): Promise<string> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(`${name}.wat`, source);
  try {
    const { buffer } = mod.toBinary({});
    const b64 = Buffer.from(buffer).toString("base64");
    return `// Generated from ${name}.wat by scripts/build-wasm.ts: do not edit.\nexport const ${constant} =\n  "${b64}";\n`;
  } finally {
    mod.destroy();
  }
}
