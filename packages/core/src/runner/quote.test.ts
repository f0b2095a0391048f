import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { envBlock, shellCommand, shellJoin, shellQuote } from "./quote.js";

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

  test("shellCommand reads env from stdin (never from its own text), honours cwd, leaves the rest of stdin to the command", () => {
    const env = { A: "x 'y' $z `id` \\", B: "l1\nl2\n", C: "", D: "trailing\\", E: "ünï 世界" };
    const line = shellCommand(["sh", "-c", 'printf "%s|%s|%s|%s|%s|%s|" "$A" "$B" "$C" "$D" "$E" "$(pwd)"; cat'], { envFromStdin: true, cwd: "/tmp" });
    for (const v of Object.values(env).filter(Boolean)) expect(line).not.toContain(v);
    const rest = Buffer.from([0, 1, 2, 10, 10, 255, 65]);
    for (const sh of ["/bin/sh", "/bin/bash"]) {
      const out = execFileSync(sh, ["-c", line], { input: Buffer.concat([envBlock(env), rest]) });
      expect(out.subarray(0, out.length - rest.length).toString("utf8")).toBe(`${Object.values(env).join("|")}|/tmp|`);
      expect(out.subarray(out.length - rest.length)).toEqual(rest);
    }
    // A block cut short runs nothing.
    const cut = (() => {
      try {
        return { status: 0, stdout: execFileSync("/bin/sh", ["-c", shellCommand(["echo", "ran"], { envFromStdin: true })], { input: "A 2\nonly one\n", stdio: "pipe" }).toString() };
      } catch (e) {
        return e as { status: number; stdout: Buffer };
      }
    })();
    expect(cut.status).toBe(125);
    expect(String(cut.stdout)).toBe("");
    expect(() => envBlock({ "BAD NAME": "x" })).toThrow(/invalid environment variable name/);
    expect(() => envBlock({ A: "\0" })).toThrow(/NUL/);
    expect(() => shellCommand(["-x"])).toThrow(/must not start with '-'/);
    expect(() => shellCommand([])).toThrow(/empty argv/);
  });

  test("a relative cwd cannot be redirected by CDPATH", () => {
    const out = execFileSync("/bin/sh", ["-c", shellCommand(["pwd"], { cwd: "bin" })], { cwd: "/usr", env: { ...process.env, CDPATH: "/" }, encoding: "utf8" });
    expect(out).toBe("/usr/bin\n");
  });
});
