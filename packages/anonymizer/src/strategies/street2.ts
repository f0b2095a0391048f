import type { CompileStrategy } from "./builder.js";
import { fromList } from "./from-list.js";

/** `street2`: a fake second address line per distinct value. */
export const compileStreet2: CompileStrategy<"street2"> = (_rule, ctx, locale) => fromList(ctx, "street2", locale, "location.secondary_address");
