import type { CompileStrategy } from "./builder.js";

/** `uuid`: a version-4-shaped UUID drawn from the value's keyed hash. */
export const compileUuid: CompileStrategy<"uuid"> = (_rule, ctx) =>
  ctx.memo(
    "uuid",
    (_v, d) => {
      let hex = "";
      for (let i = 0; i < 4; i++) hex += d.next().toString(16).padStart(8, "0");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[parseInt(hex[16]!, 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    },
    { charset: "ascii", valueFree: true },
  );
