/**
 * Quoting for POSIX shells: the single place that turns argv into a string a remote `sh -c` (sshd runs the
 * command through the user's shell) will split back into exactly the same words.
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

/**
 * A shell command line that runs argv with extra environment variables and an optional working directory:
 * `cd DIR && exec env NAME=VALUE … argv`. Used where the transport cannot carry variables itself (OpenSSH
 * drops `env` requests outside `AcceptEnv`). Throws on a variable name a shell could misread.
 *
 * @example shellCommand(["psql"], { env: { PGPASSWORD: "x y" }, cwd: "/tmp" })
 * // "cd /tmp && exec env PGPASSWORD='x y' psql"
 */
export function shellCommand(argv: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): string {
  if (argv.length === 0) throw new Error("empty argv");
  const parts: string[] = [];
  if (options.cwd) parts.push(`cd ${shellQuote(options.cwd)} &&`);
  parts.push("exec");
  const env = Object.entries(options.env ?? {});
  if (env.length > 0) {
    parts.push("env");
    for (const [k, v] of env) {
      if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name: ${JSON.stringify(k)}`);
      parts.push(`${k}=${shellQuote(v)}`);
    }
    // `env` would take an argv[0] containing '=' as another assignment; `--` does not help there, so refuse.
    if (argv[0]!.includes("=")) throw new Error(`command name must not contain '=': ${argv[0]}`);
  }
  parts.push(shellJoin(argv));
  return parts.join(" ");
}
