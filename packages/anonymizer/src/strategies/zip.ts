import type { CompileStrategy } from "./builder.js";
import { fromList } from "./from-list.js";

/** `zip`: a fake postcode per distinct value. */
export const compileZip: CompileStrategy<"zip"> = (_rule, ctx, locale) => fromList(ctx, "zip", locale, "location.postcode");
