import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { shellCommand, shellJoin, shellQuote } from "./quote.js";

/** What /bin/sh makes of a command line: the words it passes to printf, NUL-separated. */
function wordsAfterShell(line: string): string[] {
  const out = execFileSync("/bin/sh", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" });
  return out.split("\0").slice(0, -1);
}

describe("shell quoting", () => {
  test("safe words stay bare; everything else is single-quoted", () => {
    expect(shellQuote("pg_dump")).toBe("pg_dump");
    expect(shellQuote("--dbname=odoo")).toBe("--dbname=odoo");
    expect(shellQuote("")).toBe("''");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("$HOME")).toBe("'$HOME'");
  });

  test("awkward words survive a real shell exactly", () => {
    const words = [
      "", " ", "a b", "it's", `"double"`, "$HOME", "$(id)", "`id`", "\\", "*", "?", "[a]", "~", "#c", ";", "&&", "|", ">x", "<y",
      "line\nbreak", "tab\there", "\r\n", "ünïcödé 世界 🚀", "-n", "--", "'", "''", "a'b'c", "!", "{a,b}", "%s",
    ];
    expect(wordsAfterShell(shellJoin(words))).toEqual(words);
  });

  test("random printable and high bytes survive a real shell", () => {
    for (let i = 0; i < 20; i++) {
      const word = randomBytes(40)
        .toString("latin1")
        .replace(/\0/g, "0"); // argv cannot carry NUL
      const utf8 = Buffer.from(word, "latin1").toString("utf8").replace(/\0/g, "0");
      expect(wordsAfterShell(shellJoin([utf8]))).toEqual([utf8]);
    }
  });

  test("shellCommand carries env and cwd into the command; refuses bad names", () => {
    const line = shellCommand(["sh", "-c", 'printf "%s|%s|%s" "$A" "$B" "$(pwd)"'], { env: { A: "x 'y' $z", B: "l1\nl2" }, cwd: "/tmp" });
    expect(execFileSync("/bin/sh", ["-c", line], { encoding: "utf8" })).toBe("x 'y' $z|l1\nl2|/tmp");
    expect(() => shellCommand(["true"], { env: { "BAD NAME": "x" } })).toThrow(/invalid environment variable name/);
    expect(() => shellCommand(["a=b"], { env: { A: "1" } })).toThrow(/must not contain '='/);
    expect(() => shellCommand([])).toThrow(/empty argv/);
  });
});
