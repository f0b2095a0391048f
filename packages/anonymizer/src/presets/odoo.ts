import type { OdooPresetOptions, RulesFileInput } from "../rules/schema.js";
/** placeholder */
export function odooPreset(_o: OdooPresetOptions): Pick<RulesFileInput, "tables" | "columns" | "types"> {
  return {};
}
