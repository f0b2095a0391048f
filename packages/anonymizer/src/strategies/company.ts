import type { CompileStrategy } from "./builder.js";
import { fromList } from "./from-list.js";

/** `company`: a fake company name per distinct value. */
export const compileCompany: CompileStrategy<"company"> = (_rule, ctx, locale) => fromList(ctx, "company", locale, "company.name_pattern");
