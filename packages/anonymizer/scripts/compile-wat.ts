import wabtInit from "wabt";

/** The TypeScript module embedding the WebAssembly compiled from `source` (WAT), as siphash-wasm.ts holds it. */
export async function compileWat(source: string): Promise<string> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat("siphash.wat", source);
  try {
    const { buffer } = mod.toBinary({});
    const b64 = Buffer.from(buffer).toString("base64");
    return `// Generated from siphash.wat by scripts/build-wasm.ts: do not edit.\nexport const SIPHASH_WASM_BASE64 =\n  "${b64}";\n`;
  } finally {
    mod.destroy();
  }
}
