import { expect, test } from "vitest";
import { globToRegExp } from "./classify.js";

test("path globs keep * and ? within a segment and ** across; name globs match any characters and know [abc]", () => {
  const path = (g: string, s: string) => globToRegExp(g).test(s);
  const name = (g: string, s: string) => globToRegExp(g, { names: true }).test(s);
  expect(path("*.py", "models/sale.py")).toBe(false);
  expect(path("**/*.py", "models/sale.py")).toBe(true);
  expect(path("data/[ab].xml", "data/[ab].xml")).toBe(true); // brackets are literal in paths
  expect(name("res_partner*", "res_partner_bank")).toBe(true);
  expect(name("x_*", "x_a/b")).toBe(true);
  expect(name("res_?artner", "res_partner")).toBe(true);
  expect(name("[ab]_id", "b_id")).toBe(true);
  expect(name("[ab]_id", "c_id")).toBe(false);
  expect(name("a.b", "axb")).toBe(false); // other characters are literal
  expect(name("res_partner", "res_partner_bank")).toBe(false); // anchored
});
