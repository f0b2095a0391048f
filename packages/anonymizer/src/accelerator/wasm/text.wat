;; The text work of the anonymizer's accelerator (see ../arena.ts), on the memory of siphash.wat's instance,
;; whose `memory`, `ascii` and `space` it imports. Compiled to text-wasm.ts by `npm run wasm -w @odoo-deploy/anonymizer`;
;; a test checks the embedded bytes match this source. Each function has a JS reference the differential tests
;; compare it with (../../strategies/text.ts, ../../strategies/email.ts).
;;
;; has2(at, len, a, b): 1 when one of the `len` bytes at `at` is `a` or `b`, else 0.
;;
;; header(at, len, res): 1 when the `len` bytes at `at` are one e-mail header `name <address>` in ASCII as
;; email.ts's rewriteAddresses takes it apart: ONE_ADDRESS (`^([^<>,]+)<([^<>,]*)>$`), an `@` somewhere, and a
;; name that is not empty and holds no `"` once trimmed of ASCII white space and of one pair of quotes (trimmed
;; again). Then writes at `res` four i32: the name's start and end, 1 when it was quoted, and where `<` is.
;;
;; words(at, len, out, cap, a, b, c, d, table, html): text.ts's replaceHtmlText (html 1) or replaceWords (html 0)
;; of the `len` ASCII bytes at `at`, written at `out`; returns the output length, or -1 when the JS version must
;; run instead: a byte is not ASCII, a tag holds an address (its attributes are rewritten by a regular
;; expression there), or the output would pass `cap` bytes. `a b c d` is the state of a seeded Draw (draw.ts,
;; sfc32), drawn from exactly as Draw.below does; `table` holds the lorem words by length (see arena.ts).
(module
  (import "arena" "memory" (memory 1))
  (import "arena" "ascii" (func $ascii (param i32) (param i32) (result i32)))
  (import "arena" "space" (func $space (param i32) (result i32)))
  ;; the sfc32 state of the draw, during one call of words
  (global $ra (mut i32) (i32.const 0))
  (global $rb (mut i32) (i32.const 0))
  (global $rc (mut i32) (i32.const 0))
  (global $rd (mut i32) (i32.const 0))
  ;; output position and end, during one call of words
  (global $op (mut i32) (i32.const 0))
  (global $oend (mut i32) (i32.const 0))
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
        ;; lorem words are at most 16 bytes (arena.ts checks): copied 16 bytes at once, the output then moves by the
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
