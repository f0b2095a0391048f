import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "copy-worker": "src/engine/copy-worker.ts" },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
