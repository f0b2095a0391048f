import type { Faker } from "@faker-js/faker";
import { UsageError } from "@odoo-deploy/core/base";
import type { CompileStrategy } from "./builder.js";
import { localeFaker } from "./locale.js";

/** `fake {method}`: any faker method, seeded per distinct value from its keyed hash. */
export const compileFake: CompileStrategy<"fake"> = (rule, ctx, locale) => {
  const faker = localeFaker(locale);
  const [mod, method] = rule.method.split(".") as [string, string];
  const fn = (faker as unknown as Record<string, Record<string, unknown>>)[mod]?.[method];
  if (typeof fn !== "function") throw new UsageError(`unknown faker method ${rule.method}`, { code: "UNKNOWN_FAKER_METHOD" });
  return ctx.memo(
    `fake:${rule.method}:${locale}`,
    (_v, d) => {
      faker.seed(d.next());
      return String((fn as () => unknown).call(faker[mod as keyof Faker]));
    },
    { valueFree: true },
  );
};
