import { asciiIf, type CompileStrategy } from "./builder.js";

/** `street`: a fake building number and street per distinct value. */
export const compileStreet: CompileStrategy<"street"> = (_rule, ctx, locale) => {
  const L = ctx.data(locale);
  const number = L.generator("location.building_number");
  const street = L.generator("location.street_pattern");
  const ascii = L.asciiOnly("location.building_number") && L.asciiOnly("location.street_pattern");
  return ctx.memo(`street:${locale}`, (_v, d) => `${number(d)} ${street(d)}`, { charset: asciiIf(ascii), valueFree: true });
};
