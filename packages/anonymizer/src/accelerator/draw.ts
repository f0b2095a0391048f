/**
 * A small, fast generator (sfc32) seeded from one PRF output, for drawing several choices per value
 * (first name, last name, digits) at the cost of one keyed hash.
 *
 * @example const rng = new Draw(); rng.seed(lo, hi); rng.below(10);
 */
export class Draw {
  // The generator's state: public for the arena, whose lorem rewriting draws from a copy of it.
  /** @internal */ a = 0;
  /** @internal */ b = 0;
  /** @internal */ c = 0;
  /** @internal */ d = 1;

  seed(lo: number, hi: number): this {
    this.a = lo | 0;
    this.b = hi | 0;
    this.c = (lo ^ 0x9e3779b9) | 0;
    this.d = 1;
    for (let i = 0; i < 4; i++) this.next();
    return this;
  }

  /** Next uint32. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n): the next uint32 modulo n. */
  below(n: number): number {
    if (n <= 1) return 0;
    const x = this.next();
    // A uint32 above 2^31 makes `x % n` a floating-point remainder (a call to fmod); split at 16 bits it is two
    // integer remainders with the same result, exact while n <= 2^15:
    // x mod n = (((x >>> 16) mod n) * 2^16 + (x & 0xffff)) mod n, and that sum stays below 2^31.
    return n <= 32768 ? ((((x >>> 16) % n) << 16) | (x & 0xffff)) % n : x % n;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}
