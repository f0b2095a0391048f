import { Normalize } from "../accelerator/prf.js";
import type { Draw } from "../accelerator/draw.js";
import { asciiIf, type ColumnTransform, type CompileStrategy, type StrategyContext } from "./builder.js";

/** The `name` memo of a locale ("First Last"), shared with the display names of e-mail headers. */
export function fullNameTransform(ctx: StrategyContext, locale: string): ColumnTransform {
  const L = ctx.data(locale);
  const first = L.generator("person.first_name");
  const last = L.generator("person.last_name");
  const ascii = L.asciiOnly("person.first_name") && L.asciiOnly("person.last_name");
  // Case and surrounding space do not make another person.
  return ctx.memo(`name:${locale}`, (_v: string, d: Draw) => `${first(d)} ${last(d)}`, { normalize: Normalize.lowerTrim, charset: asciiIf(ascii), valueFree: true });
}

/** `name`: a fake full name per distinct (case-insensitive) name. */
export const compileName: CompileStrategy<"name"> = (_rule, ctx, locale) => fullNameTransform(ctx, locale);
