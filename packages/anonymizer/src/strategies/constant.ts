import { asciiIf, promising, type CompileStrategy } from "./builder.js";
import { NON_ASCII } from "./text.js";

/** `constant {value}`: every value becomes `value`. */
export const compileConstant: CompileStrategy<"constant"> = (rule) => {
  const value = rule.value;
  return Object.assign(promising(() => value, asciiIf(value === null || !NON_ASCII.test(value))), { fromBytes: () => value });
};
