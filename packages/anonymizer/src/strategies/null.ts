import { promising, type CompileStrategy } from "./builder.js";

/** `null`: every value becomes NULL. */
export const compileNull: CompileStrategy<"null"> = () => Object.assign(promising(() => null, "ascii"), { fromBytes: () => null });
