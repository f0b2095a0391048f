import type { CompileStrategy } from "./builder.js";

const DATE = /^(\d{4})-(\d{2})-(\d{2})(.*)$/s;

/** `noise {ratio}` (numbers, ± ratio, same decimals) or `noise {days}` (dates and timestamps, ± days). */
export const compileNoise: CompileStrategy<"noise"> = (rule, ctx) => {
  const { ratio, days } = rule;
  return ctx.memo(`noise:${ratio ?? ""}:${days ?? ""}`, (v, d) => {
    const u = d.next() / 4294967296;
    const m = DATE.exec(v);
    if (m && days !== undefined) {
      const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + Math.round((2 * u - 1) * days) * 86_400_000;
      const dt = new Date(t);
      return `${String(dt.getUTCFullYear()).padStart(4, "0")}-${String(dt.getUTCMonth() + 1).padStart(2, "0")}-${String(dt.getUTCDate()).padStart(2, "0")}${m[4]}`;
    }
    const n = Number(v);
    if (!Number.isFinite(n) || ratio === undefined) return v;
    const decimals = v.includes(".") ? v.length - v.indexOf(".") - 1 : 0;
    return (n * (1 + ratio * (2 * u - 1))).toFixed(decimals);
  }, { charset: "asciiIn" });
};
