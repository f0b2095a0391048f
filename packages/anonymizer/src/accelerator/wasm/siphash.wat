;; SipHash-1-3 over bytes, for the anonymizer's keyed PRF (see ../arena.ts; the reference is ../siphash.ts).
;; Compiled to siphash-wasm.ts by `npm run wasm -w @odoo-deploy/anonymizer`; a test checks the embedded bytes
;; match this source.
;;
;; sipn(key, msg, len, mode, scratch): SipHash-1-3 of the `len` UTF-8 bytes at `msg`, normalized as the
;; strategies normalize strings (written at `scratch` first), under the 16-byte key at `key`; writes the 64-bit
;; result little-endian at offset 0. Mode 0: the bytes as they are. Mode 1: trimmed of ASCII white space and
;; ASCII letters lowercased (JS trim().toLowerCase()), refused (returns 0) when a byte is not ASCII, since both
;; treat more of Unicode. Mode 2: the ASCII digits only, or all the bytes when there is none. Plus 4 (any mode):
;; refused (returns 0) when a byte is not ASCII (bytes hashed without their string, not known to be UTF-8).
;; Returns 1 when the result is at offset 0.
;;
;; space(c): 1 for the ASCII white space JS trim() removes (tab to carriage return, space); text.wat imports it.
;;
;; ascii(at, len): 1 when the `len` bytes at `at` are all ASCII (below 0x80), else 0. Eight bytes a step.
(module
  (memory (export "memory") 1)
  (func $sip (param $key i32) (param $msg i32) (param $len i32) (result i32)
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
  (func $space (export "space") (param $c i32) (result i32)
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
)
