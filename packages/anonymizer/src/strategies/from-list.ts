import type { Normalize } from "../accelerator/prf.js";
import { asciiIf, type ColumnTransform, type StrategyContext } from "./builder.js";

/** A memo drawing from the locale list at `path` (ASCII when the list is): how the address-like strategies fake. */
export function fromList(ctx: StrategyContext, domain: string, locale: string, path: string, normalize?: Normalize): ColumnTransform {
  const L = ctx.data(locale);
  const g = L.generator(path);
  return ctx.memo(`${domain}:${locale}`, (_v, d) => g(d), { ...(normalize === undefined ? {} : { normalize }), charset: asciiIf(L.asciiOnly(path)), valueFree: true });
}
