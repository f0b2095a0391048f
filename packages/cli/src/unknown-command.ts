import type { Command, Option } from "commander";

/**
 * The first word of argv that names no command where a command is expected, with the commands that were
 * possible there. Commander shows help for `odoo-deploy nosuch --help` (and `help nosuch`) and exits 0, and
 * takes `backup nosuch` for an argument; an unknown command must be a usage error everywhere, so the path is
 * checked before commander sees it.
 *
 * @example unknownCommand(program, ["backup", "nosuch"]) // { word: "nosuch", parent: "backup", known: ["verify", "list", "prune"] }
 */
export function unknownCommand(program: Command, argv: readonly string[]): { word: string; parent: string; known: string[] } | undefined {
  let cmd = program;
  let helpCommand = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") return undefined;
    if (arg.startsWith("-") && arg !== "-") {
      if (arg === "-h" || arg === "--help") continue;
      const option = findOption(cmd, arg);
      // An option commander does not know: it reports that better than we could guess the rest.
      if (!option) return undefined;
      if (arg.includes("=") || !(option.required || option.optional)) continue;
      if (option.variadic) while (i + 1 < argv.length && !argv[i + 1]!.startsWith("-")) i++;
      else if (option.required || !argv[i + 1]?.startsWith("-")) i++;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub) {
      cmd = sub;
      continue;
    }
    if (cmd === program && !helpCommand && arg === "help") {
      helpCommand = true; // `help backup list` names a command path like any other
      continue;
    }
    // A word where the command takes no argument of its own (or `help` is naming one) must be a subcommand.
    if (cmd.commands.length > 0 && (helpCommand || cmd.registeredArguments.length === 0)) {
      return { word: arg, parent: commandPath(cmd), known: cmd.commands.map((c) => c.name()).filter((n) => n !== "help") };
    }
    return undefined;
  }
  return undefined;
}

function findOption(cmd: Command, arg: string): Option | undefined {
  const flag = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
  for (let c: Command | null = cmd; c; c = c.parent) {
    const o = c.options.find((x) => x.long === flag || x.short === flag);
    if (o) return o;
  }
  return undefined;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
