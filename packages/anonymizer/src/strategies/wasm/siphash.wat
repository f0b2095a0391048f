;; SipHash-1-3 over bytes, for the anonymizer's keyed PRF (see ../prf.ts). Compiled to siphash-wasm.ts by
;; `npm run wasm -w @odoo-deploy/anonymizer`; a test checks the embedded bytes match this source.
;;
;; sip(key, msg, len): the 16-byte key at `key`, `len` message bytes at `msg`; writes the 64-bit result
;; little-endian at offset 0 and returns its low 32 bits.
;;
;; sipn(key, msg, len, mode, scratch): sip of the UTF-8 bytes at `msg` normalized as the strategies normalize
;; strings, written at `scratch` first. Mode 1: trimmed of ASCII white space and ASCII letters lowercased (JS
;; trim().toLowerCase()), refused (returns 0) when a byte is not ASCII, since both treat more of Unicode. Mode 2:
;; the ASCII digits only, or all the bytes when there is none. Plus 4 (any mode): refused (returns 0) when a byte is
;; not ASCII. Returns 1 when the result is at offset 0.
;;
;; ascii(at, len): 1 when the `len` bytes at `at` are all ASCII (below 0x80), else 0. Eight bytes a step.
;;
;; has2(at, len, a, b): 1 when one of the `len` bytes at `at` is `a` or `b`, else 0.
;;
;; assemble(ops, n, out): writes at `out` the bytes described by `n` (address, length) pairs of i32 at `ops`
;; and returns where they end. A length of -1 writes a binary COPY NULL (ff ff ff ff); a length with bit 30 set
;; writes the rest of the length as a 32-bit big-endian integer, then that many bytes (a binary COPY field); any
;; other, that many bytes. Short runs are copied eight bytes a step, so up to 7 bytes past the end may be written
;; (and read past each source): the caller leaves that much room. Sources must not overlap the output.
;;
;; header(at, len, res): 1 when the `len` bytes at `at` are one e-mail header `name <address>` in ASCII as
;; compile.ts's rewriteAddresses takes it apart: ONE_ADDRESS (`^([^<>,]+)<([^<>,]*)>$`), an `@` somewhere, and a
;; name that is not empty and holds no `"` once trimmed of ASCII white space and of one pair of quotes (trimmed
;; again). Then writes at `res` four i32: the name's start and end, 1 when it was quoted, and where `<` is.
;;
;; words(at, len, out, cap, a, b, c, d, table, html): text.ts's replaceHtmlText (html 1) or replaceWords (html 0)
;; of the `len` ASCII bytes at `at`, written at `out`; returns the output length, or -1 when the JS version must
;; run instead: a byte is not ASCII, a tag holds an address (its attributes are rewritten by a regular
;; expression there), or the output would pass `cap` bytes. `a b c d` is the state of a seeded Draw (prf.ts,
;; sfc32), drawn from exactly as Draw.below does; `table` holds the lorem words by length (see prf.ts).
(module
  (memory (export "memory") 1)
  ;; the sfc32 state of the draw, during one call of words
  (global $ra (mut i32) (i32.const 0))
  (global $rb (mut i32) (i32.const 0))
  (global $rc (mut i32) (i32.const 0))
  (global $rd (mut i32) (i32.const 0))
  ;; output position and end, during one call of words
  (global $op (mut i32) (i32.const 0))
  (global $oend (mut i32) (i32.const 0))
  (func $sip (export "sip") (param $key i32) (param $msg i32) (param $len i32) (result i32)
    (local $v0 i64) (local $v1 i64) (local $v2 i64) (local $v3 i64)
    (local $k0 i64) (local $k1 i64) (local $m i64) (local $end i32) (local $i i32) (local $b i64) (local $r i32)
    (local.set $k0 (i64.load (local.get $key)))
    (local.set $k1 (i64.load offset=8 (local.get $key)))
    (local.set $v0 (i64.xor (local.get $k0) (i64.const 0x736f6d6570736575)))
    (local.set $v1 (i64.xor (local.get $k1) (i64.const 0x646f72616e646f6d)))
    (local.set $v2 (i64.xor (local.get $k0) (i64.const 0x6c7967656e657261)))
    (local.set $v3 (i64.xor (local.get $k1) (i64.const 0x7465646279746573)))
    ;; whole 8-byte words
    (local.set $end (i32.add (local.get $msg) (i32.and (local.get $len) (i32.const -8))))
    (local.set $i (local.get $msg))
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $m (i64.load (local.get $i)))
        (local.set $v3 (i64.xor (local.get $v3) (local.get $m)))
        ;; one compression round
        (local.set $v0 (i64.add (local.get $v0) (local.get $v1)))
        (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 13)) (local.get $v0)))
        (local.set $v0 (i64.rotl (local.get $v0) (i64.const 32)))
        (local.set $v2 (i64.add (local.get $v2) (local.get $v3)))
        (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 16)) (local.get $v2)))
        (local.set $v0 (i64.add (local.get $v0) (local.get $v3)))
        (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 21)) (local.get $v0)))
        (local.set $v2 (i64.add (local.get $v2) (local.get $v1)))
        (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 17)) (local.get $v2)))
        (local.set $v2 (i64.rotl (local.get $v2) (i64.const 32)))
        (local.set $v0 (i64.xor (local.get $v0) (local.get $m)))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $words)))
    ;; last word: the remaining bytes, and the length in the top byte
    (local.set $b (i64.shl (i64.extend_i32_u (i32.and (local.get $len) (i32.const 255))) (i64.const 56)))
    (local.set $r (i32.and (local.get $len) (i32.const 7)))
    (block $tail
      (loop $bytes
        (br_if $tail (i32.eqz (local.get $r)))
        (local.set $r (i32.sub (local.get $r) (i32.const 1)))
        (local.set $b (i64.or (local.get $b)
          (i64.shl (i64.load8_u (i32.add (local.get $end) (local.get $r))) (i64.extend_i32_u (i32.shl (local.get $r) (i32.const 3))))))
        (br $bytes)))
    (local.set $v3 (i64.xor (local.get $v3) (local.get $b)))
    (local.set $v0 (i64.add (local.get $v0) (local.get $v1)))
    (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 13)) (local.get $v0)))
    (local.set $v0 (i64.rotl (local.get $v0) (i64.const 32)))
    (local.set $v2 (i64.add (local.get $v2) (local.get $v3)))
    (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 16)) (local.get $v2)))
    (local.set $v0 (i64.add (local.get $v0) (local.get $v3)))
    (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 21)) (local.get $v0)))
    (local.set $v2 (i64.add (local.get $v2) (local.get $v1)))
    (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 17)) (local.get $v2)))
    (local.set $v2 (i64.rotl (local.get $v2) (i64.const 32)))
    (local.set $v0 (i64.xor (local.get $v0) (local.get $b)))
    ;; finalization: three rounds
    (local.set $v2 (i64.xor (local.get $v2) (i64.const 0xff)))
    (local.set $r (i32.const 3))
    (loop $final
      (local.set $v0 (i64.add (local.get $v0) (local.get $v1)))
      (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 13)) (local.get $v0)))
      (local.set $v0 (i64.rotl (local.get $v0) (i64.const 32)))
      (local.set $v2 (i64.add (local.get $v2) (local.get $v3)))
      (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 16)) (local.get $v2)))
      (local.set $v0 (i64.add (local.get $v0) (local.get $v3)))
      (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 21)) (local.get $v0)))
      (local.set $v2 (i64.add (local.get $v2) (local.get $v1)))
      (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 17)) (local.get $v2)))
      (local.set $v2 (i64.rotl (local.get $v2) (i64.const 32)))
      (local.set $r (i32.sub (local.get $r) (i32.const 1)))
      (br_if $final (local.get $r)))
    (local.set $m (i64.xor (i64.xor (local.get $v0) (local.get $v1)) (i64.xor (local.get $v2) (local.get $v3))))
    (i64.store (i32.const 0) (local.get $m))
    (i32.wrap_i64 (local.get $m)))
;; white space JS trim() removes, in ASCII: \t \n \v \f \r and space
  (func $space (param $c i32) (result i32)
    (i32.or (i32.eq (local.get $c) (i32.const 32))
      (i32.and (i32.ge_u (local.get $c) (i32.const 9)) (i32.le_u (local.get $c) (i32.const 13)))))

  (func (export "sipn") (param $key i32) (param $msg i32) (param $len i32) (param $mode i32) (param $scratch i32) (result i32)
    (local $i i32) (local $end i32) (local $c i32) (local $n i32)
    (if (i32.and (local.get $mode) (i32.const 4))
      (then
        (if (i32.eqz (call $ascii (local.get $msg) (local.get $len))) (then (return (i32.const 0))))
        (local.set $mode (i32.and (local.get $mode) (i32.const 3)))))
    (local.set $i (local.get $msg))
    (local.set $end (i32.add (local.get $msg) (local.get $len)))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then
        ;; trim both ends, then copy lowercased
        (block $lead
          (loop $skip
            (br_if $lead (i32.ge_u (local.get $i) (local.get $end)))
            (br_if $lead (i32.eqz (call $space (i32.load8_u (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $skip)))
        (block $trail
          (loop $skip
            (br_if $trail (i32.le_u (local.get $end) (local.get $i)))
            (br_if $trail (i32.eqz (call $space (i32.load8_u (i32.sub (local.get $end) (i32.const 1))))))
            (local.set $end (i32.sub (local.get $end) (i32.const 1)))
            (br $skip)))
        (block $copied
          (loop $copy
            (br_if $copied (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $c (i32.load8_u (local.get $i)))
            (if (i32.ge_u (local.get $c) (i32.const 0x80)) (then (return (i32.const 0))))
            (if (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26))
              (then (local.set $c (i32.or (local.get $c) (i32.const 32)))))
            (i32.store8 (i32.add (local.get $scratch) (local.get $n)) (local.get $c))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $copy)))
        (drop (call $sip (local.get $key) (local.get $scratch) (local.get $n)))
        (return (i32.const 1))))
    (if (i32.eq (local.get $mode) (i32.const 2))
      (then
        (block $copied
          (loop $copy
            (br_if $copied (i32.ge_u (local.get $i) (local.get $end)))
            (local.set $c (i32.load8_u (local.get $i)))
            (if (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
              (then
                (i32.store8 (i32.add (local.get $scratch) (local.get $n)) (local.get $c))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $copy)))
        (if (i32.eqz (local.get $n))
          (then (drop (call $sip (local.get $key) (local.get $msg) (local.get $len))))
          (else (drop (call $sip (local.get $key) (local.get $scratch) (local.get $n)))))
        (return (i32.const 1))))
    (drop (call $sip (local.get $key) (local.get $msg) (local.get $len)))
    (i32.const 1))

  (func $ascii (export "ascii") (param $at i32) (param $len i32) (result i32)
    (local $end i32) (local $words i32) (local $acc i64)
    (local.set $end (i32.add (local.get $at) (local.get $len)))
    (local.set $words (i32.add (local.get $at) (i32.and (local.get $len) (i32.const -8))))
    (block $done
      (loop $word
        (br_if $done (i32.ge_u (local.get $at) (local.get $words)))
        (local.set $acc (i64.or (local.get $acc) (i64.load (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 8)))
        (br $word)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $acc (i64.or (local.get $acc) (i64.load8_u (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $byte)))
    (i64.eqz (i64.and (local.get $acc) (i64.const 0x8080808080808080))))

  (func (export "has2") (param $at i32) (param $len i32) (param $a i32) (param $b i32) (result i32)
    (local $end i32) (local $c i32)
    (local.set $end (i32.add (local.get $at) (local.get $len)))
    (block $none
      (loop $scan
        (br_if $none (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $at)))
        (if (i32.or (i32.eq (local.get $c) (local.get $a)) (i32.eq (local.get $c) (local.get $b))) (then (return (i32.const 1))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $scan)))
    (i32.const 0))

  (func (export "assemble") (param $ops i32) (param $n i32) (param $out i32) (result i32)
    (local $end i32) (local $src i32) (local $len i32) (local $stop i32)
    (local.set $end (i32.add (local.get $ops) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $op
        (br_if $done (i32.ge_u (local.get $ops) (local.get $end)))
        (local.set $src (i32.load (local.get $ops)))
        (local.set $len (i32.load offset=4 (local.get $ops)))
        (local.set $ops (i32.add (local.get $ops) (i32.const 8)))
        (if (i32.lt_s (local.get $len) (i32.const 0))
          (then
            (i32.store (local.get $out) (i32.const -1))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))
            (br $op)))
        (if (i32.and (local.get $len) (i32.const 0x40000000))
          (then
            (local.set $len (i32.and (local.get $len) (i32.const 0x3fffffff)))
            ;; big-endian: the bytes of the length swapped
            (i32.store (local.get $out)
              (i32.or
                (i32.or (i32.shl (local.get $len) (i32.const 24)) (i32.and (i32.shl (local.get $len) (i32.const 8)) (i32.const 0xff0000)))
                (i32.or (i32.and (i32.shr_u (local.get $len) (i32.const 8)) (i32.const 0xff00)) (i32.shr_u (local.get $len) (i32.const 24)))))
            (local.set $out (i32.add (local.get $out) (i32.const 4)))))
        (local.set $stop (i32.add (local.get $out) (local.get $len)))
        ;; memory.copy is a call into V8's runtime: slower than this loop for the short runs of a COPY row
        (if (i32.gt_u (local.get $len) (i32.const 256))
          (then (memory.copy (local.get $out) (local.get $src) (local.get $len)))
          (else
            (block $copied
              (loop $step
                (br_if $copied (i32.ge_u (local.get $out) (local.get $stop)))
                (i64.store (local.get $out) (i64.load (local.get $src)))
                (local.set $out (i32.add (local.get $out) (i32.const 8)))
                (local.set $src (i32.add (local.get $src) (i32.const 8)))
                (br $step)))))
        (local.set $out (local.get $stop))
        (br $op)))
    (local.get $out))

  ;; Draw.next: the next uint32 of sfc32
  (func $next (result i32)
    (local $t i32)
    (local.set $t (i32.add (i32.add (global.get $ra) (global.get $rb)) (global.get $rd)))
    (global.set $rd (i32.add (global.get $rd) (i32.const 1)))
    (global.set $ra (i32.xor (global.get $rb) (i32.shr_u (global.get $rb) (i32.const 9))))
    (global.set $rb (i32.add (global.get $rc) (i32.shl (global.get $rc) (i32.const 3))))
    (global.set $rc (i32.add (i32.rotl (global.get $rc) (i32.const 21)) (local.get $t)))
    (local.get $t))

  ;; Draw.below: 0 without a draw when n <= 1, else the next uint32 modulo n
  (func $below (param $n i32) (result i32)
    (if (i32.le_u (local.get $n) (i32.const 1)) (then (return (i32.const 0))))
    (i32.rem_u (call $next) (local.get $n)))

  ;; an ASCII letter or digit (text.ts's isWordUnit below 0x80)
  (func $word (param $c i32) (result i32)
    (i32.or (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
      (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 32)) (i32.const 97)) (i32.const 26))))

  ;; appends the `len` bytes at `at`; 0 when they do not fit
  (func $copy (param $at i32) (param $len i32) (result i32)
    (if (i32.gt_u (local.get $len) (i32.sub (global.get $oend) (global.get $op))) (then (return (i32.const 0))))
    (memory.copy (global.get $op) (local.get $at) (local.get $len))
    (global.set $op (i32.add (global.get $op) (local.get $len)))
    (i32.const 1))

  ;; The end of the character reference `&name;` / `&#123;` at `i` (text.ts's entityEnd), or i + 1.
  (func $entityEnd (param $i i32) (param $end i32) (result i32)
    (local $k i32) (local $c i32)
    (local.set $k (i32.add (local.get $i) (i32.const 1)))
    (block $stop
      (loop $scan
        (br_if $stop (i32.ge_u (local.get $k) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $k)))
        (br_if $stop (i32.eqz (i32.or (i32.eq (local.get $c) (i32.const 0x23)) (call $word (local.get $c)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $scan)))
    (if (result i32)
      (i32.and (i32.gt_u (local.get $k) (i32.add (local.get $i) (i32.const 1)))
        (i32.and (i32.lt_u (local.get $k) (local.get $end)) (i32.eq (i32.load8_u (local.get $k)) (i32.const 0x3b))))
      (then (i32.add (local.get $k) (i32.const 1)))
      (else (i32.add (local.get $i) (i32.const 1)))))

  ;; text.ts's replaceWordsIn on bytes [i, end): words become lorem words of the table, the rest is copied.
  ;; Table: the length of the longest lorem word M (4 bytes), then per word length L from 0 to M, 12 bytes at
  ;; table + 4 + 12 L: how many words, their length (the same for all), the address of the words, packed. Longer
  ;; words use the entry of M. Returns 0 when the output is full or a byte is not ASCII.
  (func $replaceWords (param $i i32) (param $end i32) (param $table i32) (param $html i32) (result i32)
    (local $c i32) (local $k i32) (local $entry i32) (local $wlen i32) (local $last i32) (local $at i32)
    ;; the table's last entry, for words longer than any lorem word
    (local.set $last (i32.load (local.get $table)))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.ge_u (local.get $c) (i32.const 0x80)) (then (return (i32.const 0))))
        ;; not a letter or digit ($word, inlined: this loop runs once a byte)
        (if (i32.eqz (i32.or (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
              (i32.lt_u (i32.sub (i32.or (local.get $c) (i32.const 32)) (i32.const 97)) (i32.const 26))))
          (then
            (if (i32.and (local.get $html) (i32.eq (local.get $c) (i32.const 0x26)))
              (then
                ;; a character reference is kept whole
                (local.set $k (call $entityEnd (local.get $i) (local.get $end)))
                (if (i32.eqz (call $copy (local.get $i) (i32.sub (local.get $k) (local.get $i)))) (then (return (i32.const 0))))
                (local.set $i (local.get $k)))
              (else
                (if (i32.ge_u (global.get $op) (global.get $oend)) (then (return (i32.const 0))))
                (i32.store8 (global.get $op) (local.get $c))
                (global.set $op (i32.add (global.get $op) (i32.const 1)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))))
            (br $scan)))
        ;; a word: [i, k)
        (local.set $k (i32.add (local.get $i) (i32.const 1)))
        (block $wend
          (loop $w
            (br_if $wend (i32.ge_u (local.get $k) (local.get $end)))
            (local.set $at (i32.load8_u (local.get $k)))
            (br_if $wend (i32.eqz (i32.or (i32.lt_u (i32.sub (local.get $at) (i32.const 48)) (i32.const 10))
              (i32.lt_u (i32.sub (i32.or (local.get $at) (i32.const 32)) (i32.const 97)) (i32.const 26)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $w)))
        (local.set $wlen (i32.sub (local.get $k) (local.get $i)))
        (if (i32.gt_u (local.get $wlen) (local.get $last)) (then (local.set $wlen (local.get $last))))
        (local.set $entry (i32.add (local.get $table) (i32.add (i32.const 4) (i32.mul (local.get $wlen) (i32.const 12)))))
        (local.set $wlen (i32.load offset=4 (local.get $entry)))
        (local.set $at (i32.add (i32.load offset=8 (local.get $entry))
          (i32.mul (call $below (i32.load (local.get $entry))) (local.get $wlen))))
        ;; lorem words are at most 16 bytes (prf.ts checks): copied 16 bytes at once, the output then moves by the
        ;; word's length (the words are read in the table's region, which has room after the last one)
        (if (i32.gt_u (i32.add (global.get $op) (i32.const 16)) (global.get $oend)) (then (return (i32.const 0))))
        (i64.store (global.get $op) (i64.load (local.get $at)))
        (i64.store offset=8 (global.get $op) (i64.load offset=8 (local.get $at)))
        ;; keep a capital where there was one (lorem words are lowercase ASCII letters)
        (if (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26))
          (then (i32.store8 (global.get $op) (i32.sub (i32.load8_u (global.get $op)) (i32.const 32)))))
        (global.set $op (i32.add (global.get $op) (local.get $wlen)))
        (local.set $i (local.get $k))
        (br $scan)))
    (i32.const 1))

  ;; the first `c` byte in [i, end), or -1
  (func $find (param $i i32) (param $end i32) (param $c i32) (result i32)
    (block $none
      (loop $scan
        (br_if $none (i32.ge_u (local.get $i) (local.get $end)))
        (if (i32.eq (i32.load8_u (local.get $i)) (local.get $c)) (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i32.const -1))

  (func (export "header") (param $at i32) (param $len i32) (param $res i32) (result i32)
    (local $end i32) (local $i i32) (local $c i32) (local $lt i32) (local $mail i32) (local $ns i32) (local $ne i32) (local $q i32)
    (local.set $end (i32.add (local.get $at) (local.get $len)))
    (local.set $lt (i32.const -1))
    ;; one pass: ASCII, no `,`, one `<`, `>` only as the last byte, an `@`
    (local.set $i (local.get $at))
    (block $done
      (loop $scan
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.or (i32.ge_u (local.get $c) (i32.const 0x80)) (i32.eq (local.get $c) (i32.const 0x2c))) (then (return (i32.const 0))))
        (if (i32.eq (local.get $c) (i32.const 0x40)) (then (local.set $mail (i32.const 1))))
        (if (i32.eq (local.get $c) (i32.const 0x3c))
          (then
            (if (i32.ge_s (local.get $lt) (i32.const 0)) (then (return (i32.const 0))))
            (local.set $lt (local.get $i))))
        (if (i32.and (i32.eq (local.get $c) (i32.const 0x3e)) (i32.ne (local.get $i) (i32.sub (local.get $end) (i32.const 1))))
          (then (return (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    ;; `<` after a non-empty name, `>` last
    (if (i32.or (i32.le_s (local.get $lt) (local.get $at)) (i32.eqz (local.get $mail))) (then (return (i32.const 0))))
    (if (i32.ne (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 0x3e)) (then (return (i32.const 0))))
    (local.set $ns (local.get $at))
    (local.set $ne (local.get $lt))
    (loop $trim
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (block $done
        (loop $lead
          (br_if $done (i32.ge_u (local.get $ns) (local.get $ne)))
          (br_if $done (i32.eqz (call $space (i32.load8_u (local.get $ns)))))
          (local.set $ns (i32.add (local.get $ns) (i32.const 1)))
          (br $lead)))
      (block $done
        (loop $trail
          (br_if $done (i32.ge_u (local.get $ns) (local.get $ne)))
          (br_if $done (i32.eqz (call $space (i32.load8_u (i32.sub (local.get $ne) (i32.const 1))))))
          (local.set $ne (i32.sub (local.get $ne) (i32.const 1)))
          (br $trail)))
      ;; quoted (first time round): the quotes off, trimmed again
      (if (i32.and (i32.eq (local.get $q) (i32.const 1))
            (i32.and (i32.ge_s (i32.sub (local.get $ne) (local.get $ns)) (i32.const 2))
              (i32.and (i32.eq (i32.load8_u (local.get $ns)) (i32.const 0x22))
                (i32.eq (i32.load8_u (i32.sub (local.get $ne) (i32.const 1))) (i32.const 0x22)))))
        (then
          (local.set $ns (i32.add (local.get $ns) (i32.const 1)))
          (local.set $ne (i32.sub (local.get $ne) (i32.const 1)))
          (br $trim))))
    ;; $q: 1 round, not quoted; 2 rounds, quoted
    (if (i32.ge_u (local.get $ns) (local.get $ne)) (then (return (i32.const 0))))
    (if (i32.ge_s (call $find (local.get $ns) (local.get $ne) (i32.const 0x22)) (i32.const 0)) (then (return (i32.const 0))))
    (i32.store (local.get $res) (local.get $ns))
    (i32.store offset=4 (local.get $res) (local.get $ne))
    (i32.store offset=8 (local.get $res) (i32.sub (local.get $q) (i32.const 1)))
    (i32.store offset=12 (local.get $res) (local.get $lt))
    (i32.const 1))

  ;; whether the tag [i, end) holds "mailto:", "tel:" or "@" (text.ts's ADDRESS_IN_TAG)
  (func $addressInTag (param $i i32) (param $end i32) (result i32)
    (local $c i32)
    (block $none
      (loop $scan
        (br_if $none (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.eq (local.get $c) (i32.const 0x40)) (then (return (i32.const 1))))
        ;; "tel:" is 0x3a6c6574 little-endian; "mailto:" is "mail" 0x6c69616d then "to:"
        (if (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $end))
          (then
            (if (i32.eq (i32.load (local.get $i)) (i32.const 0x3a6c6574)) (then (return (i32.const 1))))
            (if (i32.and (i32.le_u (i32.add (local.get $i) (i32.const 7)) (local.get $end))
                  (i32.eq (i32.load (local.get $i)) (i32.const 0x6c69616d)))
              (then
                (if (i32.eq (i32.and (i32.load offset=3 (local.get $i)) (i32.const 0xffffff00)) (i32.const 0x3a6f7400))
                  (then (return (i32.const 1))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (i32.const 0))

  (func (export "words") (param $at i32) (param $len i32) (param $out i32) (param $cap i32)
    (param $a i32) (param $b i32) (param $c i32) (param $d i32) (param $table i32) (param $html i32) (result i32)
    (local $n i32) (local $pos i32) (local $lt i32) (local $end i32) (local $close i32) (local $comment i32)
    (global.set $ra (local.get $a))
    (global.set $rb (local.get $b))
    (global.set $rc (local.get $c))
    (global.set $rd (local.get $d))
    (global.set $op (local.get $out))
    (global.set $oend (i32.add (local.get $out) (local.get $cap)))
    ;; tags are copied as they are: the whole text must be ASCII
    (if (i32.eqz (call $ascii (local.get $at) (local.get $len))) (then (return (i32.const -1))))
    (local.set $n (i32.add (local.get $at) (local.get $len)))
    (local.set $pos (local.get $at))
    (if (local.get $html)
      (then
        (local.set $lt (call $find (local.get $pos) (local.get $n) (i32.const 0x3c)))
        (block $text
          (loop $tags
            (br_if $text (i32.lt_s (local.get $lt) (i32.const 0)))
            ;; a comment runs to "-->", a tag to ">"; a "<" that closes nothing is text
            (local.set $end (i32.const -1))
            (local.set $comment (i32.const 0))
            (if (i32.and (i32.le_u (i32.add (local.get $lt) (i32.const 4)) (local.get $n))
                  (i32.eq (i32.load (local.get $lt)) (i32.const 0x2d2d213c))) ;; "<!--"
              (then
                (local.set $close (i32.add (local.get $lt) (i32.const 4)))
                (block $found
                  (loop $dashes
                    (local.set $close (call $find (local.get $close) (local.get $n) (i32.const 0x2d)))
                    (br_if $found (i32.lt_s (local.get $close) (i32.const 0)))
                    (br_if $found (i32.gt_u (i32.add (local.get $close) (i32.const 3)) (local.get $n)))
                    (if (i32.and (i32.eq (i32.load8_u offset=1 (local.get $close)) (i32.const 0x2d))
                          (i32.eq (i32.load8_u offset=2 (local.get $close)) (i32.const 0x3e)))
                      (then
                        (local.set $end (i32.add (local.get $close) (i32.const 3)))
                        (local.set $comment (i32.const 1))
                        (br $found)))
                    (local.set $close (i32.add (local.get $close) (i32.const 1)))
                    (br $dashes)))))
            (if (i32.lt_s (local.get $end) (i32.const 0))
              (then
                (local.set $end (call $find (i32.add (local.get $lt) (i32.const 1)) (local.get $n) (i32.const 0x3e)))
                (br_if $text (i32.lt_s (local.get $end) (i32.const 0)))
                (local.set $end (i32.add (local.get $end) (i32.const 1)))))
            (if (i32.gt_u (local.get $lt) (local.get $pos))
              (then
                (if (i32.eqz (call $replaceWords (local.get $pos) (local.get $lt) (local.get $table) (i32.const 1)))
                  (then (return (i32.const -1))))))
            (if (local.get $comment)
              (then
                ;; comments can hold anything: emptied, as "<!---->"
                ;; its 7 bytes as one 8-byte store
                (if (i32.gt_u (i32.add (global.get $op) (i32.const 8)) (global.get $oend)) (then (return (i32.const -1))))
                (i64.store (global.get $op) (i64.const 0x003e2d2d2d2d213c))
                (global.set $op (i32.add (global.get $op) (i32.const 7))))
              (else
                (if (call $addressInTag (local.get $lt) (local.get $end)) (then (return (i32.const -1))))
                (if (i32.eqz (call $copy (local.get $lt) (i32.sub (local.get $end) (local.get $lt)))) (then (return (i32.const -1))))))
            (local.set $pos (local.get $end))
            (local.set $lt (call $find (local.get $pos) (local.get $n) (i32.const 0x3c)))
            (br $tags)))))
    (if (i32.lt_u (local.get $pos) (local.get $n))
      (then
        (if (i32.eqz (call $replaceWords (local.get $pos) (local.get $n) (local.get $table) (local.get $html)))
          (then (return (i32.const -1))))))
    (i32.sub (global.get $op) (local.get $out)))
)
