import type { CompileStrategy } from "./builder.js";
import { fromList } from "./from-list.js";

/** `last_name`: a fake last name per distinct value. */
export const compileLastName: CompileStrategy<"last_name"> = (_rule, ctx, locale) => fromList(ctx, "last", locale, "person.last_name");
