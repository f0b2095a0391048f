import { promising, type CompileStrategy } from "./builder.js";

/** `keep`: the value as it is. */
export const compileKeep: CompileStrategy<"keep"> = () => promising((v) => v, "asciiIn");
