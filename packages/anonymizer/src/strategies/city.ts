import type { CompileStrategy } from "./builder.js";
import { fromList } from "./from-list.js";

/** `city`: a fake city per distinct value. */
export const compileCity: CompileStrategy<"city"> = (_rule, ctx, locale) => fromList(ctx, "city", locale, "location.city_pattern");
