/**
 * Host key checking as OpenSSH does it: a known_hosts file (plain or hashed host names, `[host]:port`,
 * wildcards, `@revoked`) or a pinned `SHA256:` fingerprint.
 */
import { createHash, createHmac } from "node:crypto";

/** Outcome of checking a presented host key. */
export type HostKeyVerdict =
  | { status: "known" }
  | { status: "unknown"; fingerprint: string; keyType: string }
  | { status: "changed"; fingerprint: string; keyType: string; expected: string[] }
  | { status: "revoked"; fingerprint: string; keyType: string };

/**
 * The OpenSSH fingerprint of a public key blob: `SHA256:` and unpadded base64.
 *
 * @example hostKeyFingerprint(keyBlob) // "SHA256:wKjVrxg8LDrDBJbxlQX4LMRViYJqqIefJijaqkR5rTo"
 */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The key type (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …) at the start of a public key blob. */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return "unknown";
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString("latin1");
}

function normalizeFingerprint(fp: string): string {
  const t = fp.trim();
  const body = t.startsWith("SHA256:") ? t.slice(7) : t;
  return `SHA256:${body.replace(/=+$/, "")}`;
}

/** How OpenSSH writes a host in known_hosts: bare for port 22, `[host]:port` otherwise. */
function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return re.test(text);
}

function hostMatches(field: string, host: string, port: number): boolean {
  const token = hostToken(host, port);
  if (field.startsWith("|1|")) {
    const [, , salt, hash] = field.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(token).digest("base64") === hash;
  }
  let matched = false;
  for (const raw of field.split(",")) {
    const negated = raw.startsWith("!");
    const pattern = negated ? raw.slice(1) : raw;
    if (globMatch(pattern, token)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/**
 * Checks a presented host key against known_hosts text. A key listed for the host is `known`; a host listed
 * with a different key of the same type is `changed` (a possible man-in-the-middle); otherwise `unknown`.
 *
 * @example
 * const v = checkKnownHosts(readFileSync(path, "utf8"), "db.example.com", 22, keyBlob);
 * if (v.status !== "known") throw new Error(v.status);
 */
export function checkKnownHosts(text: string, host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const fingerprint = hostKeyFingerprint(keyBlob);
  const keyType = keyTypeOf(keyBlob);
  const keyB64 = keyBlob.toString("base64");
  const sameType: string[] = [];
  let known = false;
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    let fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith("@")) {
      marker = fields[0];
      fields = fields.slice(1);
    }
    const [hosts, type, b64] = fields;
    if (!hosts || !type || !b64) continue;
    if (marker === "@cert-authority") continue;
    if (!hostMatches(hosts, host, port)) continue;
    if (marker === "@revoked") {
      if (b64 === keyB64) return { status: "revoked", fingerprint, keyType };
      continue;
    }
    if (b64 === keyB64) known = true;
    else if (type === keyType) sameType.push(hostKeyFingerprint(Buffer.from(b64, "base64")));
  }
  if (known) return { status: "known" };
  if (sameType.length > 0) return { status: "changed", fingerprint, keyType, expected: sameType };
  return { status: "unknown", fingerprint, keyType };
}

/**
 * Checks a presented host key against pinned fingerprints (`SHA256:…`, as `ssh-keygen -lf` prints).
 *
 * @example checkPinnedFingerprint(["SHA256:wKjV…"], keyBlob).status // "known" | "changed"
 */
export function checkPinnedFingerprint(pinned: readonly string[], keyBlob: Buffer): HostKeyVerdict {
  const fingerprint = hostKeyFingerprint(keyBlob);
  const expected = pinned.map(normalizeFingerprint);
  if (expected.includes(fingerprint)) return { status: "known" };
  return { status: "changed", fingerprint, keyType: keyTypeOf(keyBlob), expected };
}
