import type { CompileStrategy } from "./builder.js";
import { compileCity } from "./city.js";
import { compileCompany } from "./company.js";
import { compileConstant } from "./constant.js";
import { compileEmail } from "./email.js";
import { compileFake } from "./fake.js";
import { compileFirstName } from "./first-name.js";
import { compileHash } from "./hash.js";
import { compileHtml } from "./html.js";
import { compileJsonb } from "./jsonb.js";
import { compileKeep } from "./keep.js";
import { compileLastName } from "./last-name.js";
import { compileLorem } from "./lorem.js";
import { compileMask } from "./mask.js";
import { compileName } from "./name.js";
import { compileNoise } from "./noise.js";
import { compileNull } from "./null.js";
import { compilePhone } from "./phone.js";
import { compileRegex } from "./regex.js";
import { compileSameAs } from "./same-as.js";
import { compileStreet } from "./street.js";
import { compileStreet2 } from "./street2.js";
import { compileSwitch } from "./switch.js";
import { compileTemplate } from "./template.js";
import { compileUuid } from "./uuid.js";
import { compileZip } from "./zip.js";
import type { RuleOf } from "./builder.js";

type StrategyName = RuleOf<string>["strategy"];

/** Every strategy by name: a new strategy is a file of its own and a line here. */
export const STRATEGIES: { [S in StrategyName]: CompileStrategy<S> } = {
  keep: compileKeep,
  null: compileNull,
  constant: compileConstant,
  name: compileName,
  first_name: compileFirstName,
  last_name: compileLastName,
  company: compileCompany,
  street: compileStreet,
  street2: compileStreet2,
  city: compileCity,
  zip: compileZip,
  phone: compilePhone,
  email: compileEmail,
  hash: compileHash,
  uuid: compileUuid,
  mask: compileMask,
  template: compileTemplate,
  same_as: compileSameAs,
  regex: compileRegex,
  noise: compileNoise,
  html: compileHtml,
  lorem: compileLorem,
  fake: compileFake,
  jsonb: compileJsonb,
  switch: compileSwitch,
};
