/**
 * Quoting for POSIX shells: the single place that turns argv into a string a remote `sh -c` (sshd runs the
 * command through the user's shell) will split back into exactly the same words, and the wrapper that gives
 * the command its environment without putting a value on the command line.
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for a POSIX shell. Single quotes protect everything except the single quote itself,
 * which is closed, escaped and reopened.
 *
 * @example shellQuote("it's") // 'it'\''s'
 */
export function shellQuote(word: string): string {
  if (word.length > 0 && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Quotes an argv array into one shell command line.
 *
 * @example shellJoin(["echo", "a b"]) // "echo 'a b'"
 */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The wrapper's own variables; a caller's variable of that name would be overwritten, so it is refused. */
const OWN_PREFIX = "__odoo_deploy_";

/**
 * A POSIX shell script that reads environment variables from stdin, in the {@link envBlock} format, exports
 * them, and leaves the rest of stdin to the command it then runs. Values only ever pass through `read` and
 * `export`, which are shell built-ins by definition (they change the shell itself), so no value reaches a
 * process's argv. `read` takes a pipe or socket one byte at a time, so not a byte of the command's own
 * input is consumed. Exit 125 when the block is cut short.
 */
const ENV_READER = [
  `while :; do`,
  `  IFS= read -r ${OWN_PREFIX}h || exit 125`,
  `  [ -n "$${OWN_PREFIX}h" ] || break`,
  `  ${OWN_PREFIX}n=\${${OWN_PREFIX}h##* } ${OWN_PREFIX}v= ${OWN_PREFIX}i=0`,
  `  while [ "$${OWN_PREFIX}i" -lt "$${OWN_PREFIX}n" ]; do`,
  `    IFS= read -r ${OWN_PREFIX}l || exit 125`,
  `    if [ "$${OWN_PREFIX}i" -eq 0 ]; then ${OWN_PREFIX}v=$${OWN_PREFIX}l; else ${OWN_PREFIX}v="$${OWN_PREFIX}v`,
  `$${OWN_PREFIX}l"; fi`,
  `    ${OWN_PREFIX}i=$((${OWN_PREFIX}i + 1))`,
  `  done`,
  `  export "\${${OWN_PREFIX}h% *}=$${OWN_PREFIX}v" || exit 125`,
  `done`,
  `unset ${["h", "n", "v", "i", "l"].map((x) => OWN_PREFIX + x).join(" ")}`,
].join("\n");

/**
 * Environment variables as the stdin preamble {@link shellCommand} reads with `envFromStdin`: per variable a
 * `NAME LINES` header and the value's lines, then an empty line. Throws on a name a shell could misread and
 * on a NUL (which no environment can hold).
 *
 * @example envBlock({ PGPASSWORD: "a\nb" }) // Buffer of "PGPASSWORD 2\na\nb\n\n"
 */
export function envBlock(env: Record<string, string>): Buffer {
  let text = "";
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name) || name.startsWith(OWN_PREFIX)) throw new Error(`invalid environment variable name: ${JSON.stringify(name)}`);
    if (value.includes("\0")) throw new Error(`environment variable ${name}: a value cannot contain NUL`);
    const lines = value.split("\n");
    text += `${name} ${lines.length}\n${lines.map((l) => `${l}\n`).join("")}`;
  }
  return Buffer.from(`${text}\n`, "utf8");
}

/**
 * A shell command line that runs argv, optionally in a working directory and with environment variables
 * read from stdin first ({@link envBlock}; the command's own stdin follows). Used where the transport cannot
 * carry variables itself (OpenSSH drops `env` requests outside `AcceptEnv`): values never appear on the
 * command line, which every user of the host can read in `ps`.
 *
 * @example shellCommand(["psql", "-l"], { cwd: "/tmp", envFromStdin: true }) // "while :; do …\ncd -- /tmp || exit\nexec psql -l"
 */
export function shellCommand(argv: readonly string[], options: { cwd?: string; envFromStdin?: boolean } = {}): string {
  if (argv.length === 0) throw new Error("empty argv");
  // `exec` would take a leading '-' for an option of its own (and dash's exec knows no `--`).
  if (argv[0]!.startsWith("-")) throw new Error(`command name must not start with '-': ${argv[0]}`);
  const parts: string[] = [];
  if (options.envFromStdin) parts.push(ENV_READER);
  if (options.cwd) {
    // A relative directory is made explicit so CDPATH cannot send `cd` (and its echo) elsewhere.
    const dir = options.cwd.startsWith("/") || options.cwd.startsWith(".") ? options.cwd : `./${options.cwd}`;
    parts.push(`cd -- ${shellQuote(dir)} || exit`);
  }
  parts.push(`exec ${shellJoin(argv)}`);
  return parts.join("\n");
}
