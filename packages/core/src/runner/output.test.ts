import { describe, expect, test } from "vitest";
import { LineSplitter, TailBuffer } from "./output.js";
import { DockerDemuxer } from "./docker-demux.js";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

describe("output helpers", () => {
  test("TailBuffer keeps the last bytes and says it truncated", () => {
    const t = new TailBuffer(5);
    t.push(Buffer.from("abc"));
    t.push(Buffer.from("defg"));
    expect(t.toString()).toBe("cdefg");
    expect(t.truncated).toBe(true);
    const none = new TailBuffer(0);
    none.push(Buffer.from("x"));
    expect([none.toString(), none.truncated]).toEqual(["", true]);
  });

  test("LineSplitter handles CRLF, a character split across chunks and a last line without newline", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const euro = Buffer.from("€"); // 3 bytes
    s.push(Buffer.concat([Buffer.from("a\r\nprice "), euro.subarray(0, 1)]));
    s.push(Buffer.concat([euro.subarray(1), Buffer.from("5\nlast")]));
    s.end();
    expect(lines).toEqual(["a", "price €5", "last"]);
  });

  test("DockerDemuxer splits frames cut at any byte boundary", async () => {
    const frame = (type: number, payload: string) => {
      const p = Buffer.from(payload);
      const h = Buffer.alloc(8);
      h[0] = type;
      h.writeUInt32BE(p.length, 4);
      return Buffer.concat([h, p]);
    };
    const all = Buffer.concat([frame(1, "out-1 "), frame(2, "err-1 "), frame(1, "out-2 ünï"), frame(2, ""), frame(2, "err-2")]);
    // One byte per chunk: headers and payloads are both split.
    const chunks = Array.from(all, (b) => Buffer.from([b]));
    const out = new PassThrough();
    const err = new PassThrough();
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    out.on("data", (c: Buffer) => o.push(c));
    err.on("data", (c: Buffer) => e.push(c));
    await pipeline(Readable.from(chunks), new DockerDemuxer(out, err));
    expect(Buffer.concat(o).toString()).toBe("out-1 out-2 ünï");
    expect(Buffer.concat(e).toString()).toBe("err-1 err-2");
  });
});
