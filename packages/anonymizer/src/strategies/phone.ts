import { Normalize } from "../accelerator/prf.js";
import type { CompileStrategy } from "./builder.js";
import { fromList } from "./from-list.js";

/** `phone`: a fake number per distinct number, keyed on its digits ("+32 2 555 01 02" and "+3225550102" are one). */
export const compilePhone: CompileStrategy<"phone"> = (_rule, ctx, locale) => fromList(ctx, "phone", locale, "phone_number.format", Normalize.digits);
