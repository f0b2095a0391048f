import type { CompileStrategy } from "./builder.js";
import { fromList } from "./from-list.js";

/** `first_name`: a fake first name per distinct value. */
export const compileFirstName: CompileStrategy<"first_name"> = (_rule, ctx, locale) => fromList(ctx, "first", locale, "person.first_name");
