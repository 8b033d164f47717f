;; Weightline's codec kernels in WebAssembly SIMD (docs/ARCHITECTURE.md, "Kernels").
;; Assembled by scripts/build-kernels.mjs (the npm package wabt) into
;; out/main/kernels.wasm at `npm run build`; src-main/core/codec/kernels/wasm.ts
;; loads it and drives it one cache-sized chunk at a time.
;;
;; Every function works on `n` elements, n a multiple of 16: the driver pads a
;; chunk's last group (with zeros in both inputs where figures are measured,
;; which adds exactly +0 to every sum and changes nothing). Byte planes are laid
;; out as in planes.ts: plane k of the chunk at p + k*n.
;;
;; Change figures must equal the JavaScript reference (figures.ts) bit for bit,
;; so the two f64 sums are kept as serial chains in element order: SIMD widens,
;; squares and masks, then the lanes are added one by one. Masked lanes add +0,
;; which leaves a sum of non-negative terms unchanged. max |d| is order-free.
;;
;; Running state at address 0, read at entry and written back at exit:
;;   f64 @0 sum of old^2 (finite old), f64 @8 sum of d^2 (finite d),
;;   f64 @16 max |d|, i32 @24 elements whose bit pattern changed.

(module
  (memory (export "memory") 1)

  ;; ---- byte planes of a ^ b ----------------------------------------------

  ;; 16-bit elements: 16 per step, low bytes to plane 0, high bytes to plane 1.
  (func (export "xsplit2") (param $a i32) (param $b i32) (param $p i32) (param $n i32)
    (local $i i32) (local $x0 v128) (local $x1 v128) (local $p1 i32)
    (local.set $p1 (i32.add (local.get $p) (local.get $n)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $g
        (local.set $x0 (v128.xor (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $x1 (v128.xor (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
        (v128.store (i32.add (local.get $p) (local.get $i))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30 (local.get $x0) (local.get $x1)))
        (v128.store (i32.add (local.get $p1) (local.get $i))
          (i8x16.shuffle 1 3 5 7 9 11 13 15 17 19 21 23 25 27 29 31 (local.get $x0) (local.get $x1)))
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br_if $g (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n))))))

  ;; 32-bit elements: 16 per step (64 bytes). Each vector's bytes are grouped
  ;; by position (a 4x4 byte transpose), then a 4x4 transpose of 32-bit lanes
  ;; gathers plane k of all 16 elements.
  (func (export "xsplit4") (param $a i32) (param $b i32) (param $p i32) (param $n i32)
    (local $i i32) (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $p1 i32) (local $p2 i32) (local $p3 i32)
    (local.set $p1 (i32.add (local.get $p) (local.get $n)))
    (local.set $p2 (i32.add (local.get $p1) (local.get $n)))
    (local.set $p3 (i32.add (local.get $p2) (local.get $n)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $g
        (local.set $y0 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
          (local.tee $t0 (v128.xor (v128.load (local.get $a)) (v128.load (local.get $b)))) (local.get $t0)))
        (local.set $y1 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
          (local.tee $t0 (v128.xor (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))) (local.get $t0)))
        (local.set $y2 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
          (local.tee $t0 (v128.xor (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))) (local.get $t0)))
        (local.set $y3 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
          (local.tee $t0 (v128.xor (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))) (local.get $t0)))
        (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y0) (local.get $y1)))
        (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y0) (local.get $y1)))
        (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y2) (local.get $y3)))
        (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y2) (local.get $y3)))
        (v128.store (i32.add (local.get $p) (local.get $i))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $p1) (local.get $i))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
        (v128.store (i32.add (local.get $p2) (local.get $i))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
        (v128.store (i32.add (local.get $p3) (local.get $i))
          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br_if $g (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n))))))

  ;; 64-bit elements: 16 per step (128 bytes). Each vector (two elements) is
  ;; grouped by byte position into 16-bit lanes, then an 8x8 transpose of
  ;; 16-bit lanes (three rounds of interleaves) gathers the eight planes.
  (func $xsplit8 (export "xsplit8") (param $a i32) (param $b i32) (param $p i32) (param $n i32)
    (local $i i32) (local $k i32)
    (local $z0 v128) (local $z1 v128) (local $z2 v128) (local $z3 v128) (local $z4 v128) (local $z5 v128) (local $z6 v128) (local $z7 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $t v128)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $g
        (local.set $z0 (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
          (local.tee $t (v128.xor (v128.load (local.get $a)) (v128.load (local.get $b)))) (local.get $t)))
        (local.set $z1 (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
          (local.tee $t (v128.xor (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))) (local.get $t)))
        (local.set $z2 (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
          (local.tee $t (v128.xor (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))) (local.get $t)))
        (local.set $z3 (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
          (local.tee $t (v128.xor (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))) (local.get $t)))
        (local.set $z4 (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
          (local.tee $t (v128.xor (v128.load offset=64 (local.get $a)) (v128.load offset=64 (local.get $b)))) (local.get $t)))
        (local.set $z5 (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
          (local.tee $t (v128.xor (v128.load offset=80 (local.get $a)) (v128.load offset=80 (local.get $b)))) (local.get $t)))
        (local.set $z6 (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
          (local.tee $t (v128.xor (v128.load offset=96 (local.get $a)) (v128.load offset=96 (local.get $b)))) (local.get $t)))
        (local.set $z7 (i8x16.shuffle 0 8 1 9 2 10 3 11 4 12 5 13 6 14 7 15
          (local.tee $t (v128.xor (v128.load offset=112 (local.get $a)) (v128.load offset=112 (local.get $b)))) (local.get $t)))
        ;; round 1: interleave 16-bit lanes
        (local.set $a0 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $z0) (local.get $z1)))
        (local.set $a1 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $z0) (local.get $z1)))
        (local.set $a2 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $z2) (local.get $z3)))
        (local.set $a3 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $z2) (local.get $z3)))
        (local.set $a4 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $z4) (local.get $z5)))
        (local.set $a5 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $z4) (local.get $z5)))
        (local.set $a6 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $z6) (local.get $z7)))
        (local.set $a7 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $z6) (local.get $z7)))
        ;; round 2: interleave 32-bit lanes
        (local.set $z0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a2)))
        (local.set $z1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a2)))
        (local.set $z2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a1) (local.get $a3)))
        (local.set $z3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a1) (local.get $a3)))
        (local.set $z4 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a4) (local.get $a6)))
        (local.set $z5 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a4) (local.get $a6)))
        (local.set $z6 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a5) (local.get $a7)))
        (local.set $z7 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a5) (local.get $a7)))
        ;; round 3: interleave 64-bit halves; plane k of the 16 elements
        (local.set $k (i32.add (local.get $p) (local.get $i)))
        (v128.store (local.get $k) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z0) (local.get $z4)))
        (local.set $k (i32.add (local.get $k) (local.get $n)))
        (v128.store (local.get $k) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z0) (local.get $z4)))
        (local.set $k (i32.add (local.get $k) (local.get $n)))
        (v128.store (local.get $k) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z1) (local.get $z5)))
        (local.set $k (i32.add (local.get $k) (local.get $n)))
        (v128.store (local.get $k) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z1) (local.get $z5)))
        (local.set $k (i32.add (local.get $k) (local.get $n)))
        (v128.store (local.get $k) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z2) (local.get $z6)))
        (local.set $k (i32.add (local.get $k) (local.get $n)))
        (v128.store (local.get $k) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z2) (local.get $z6)))
        (local.set $k (i32.add (local.get $k) (local.get $n)))
        (v128.store (local.get $k) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z3) (local.get $z7)))
        (local.set $k (i32.add (local.get $k) (local.get $n)))
        (v128.store (local.get $k) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z3) (local.get $z7)))
        (local.set $a (i32.add (local.get $a) (i32.const 128)))
        (local.set $b (i32.add (local.get $b) (i32.const 128)))
        (br_if $g (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n))))))

;; ---- d ^= s over len bytes (a chain rebuild folding one level in) ---------
  ;; Any len and alignment: 64 bytes a step, then 16, then byte by byte.

  (func (export "xor_into") (param $d i32) (param $s i32) (param $len i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $d) (local.get $len)))
    (block $b64
      (loop $l64
        (br_if $b64 (i32.gt_u (i32.add (local.get $d) (i32.const 64)) (local.get $end)))
        (v128.store (local.get $d) (v128.xor (v128.load (local.get $d)) (v128.load (local.get $s))))
        (v128.store offset=16 (local.get $d) (v128.xor (v128.load offset=16 (local.get $d)) (v128.load offset=16 (local.get $s))))
        (v128.store offset=32 (local.get $d) (v128.xor (v128.load offset=32 (local.get $d)) (v128.load offset=32 (local.get $s))))
        (v128.store offset=48 (local.get $d) (v128.xor (v128.load offset=48 (local.get $d)) (v128.load offset=48 (local.get $s))))
        (local.set $d (i32.add (local.get $d) (i32.const 64)))
        (local.set $s (i32.add (local.get $s) (i32.const 64)))
        (br $l64)))
    (block $b16
      (loop $l16
        (br_if $b16 (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $d) (v128.xor (v128.load (local.get $d)) (v128.load (local.get $s))))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $l16)))
    (block $b1
      (loop $l1
        (br_if $b1 (i32.ge_u (local.get $d) (local.get $end)))
        (i32.store8 (local.get $d) (i32.xor (i32.load8_u (local.get $d)) (i32.load8_u (local.get $s))))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $l1))))

    ;; ---- planes joined back into elements, XORed with b ----------------------
  ;; The inverse shuffles: the lane transposes are their own inverses.

  (func (export "xjoin2") (param $p i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $q0 v128) (local $q1 v128) (local $p1 i32)
    (local.set $p1 (i32.add (local.get $p) (local.get $n)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $g
        (local.set $q0 (v128.load (i32.add (local.get $p) (local.get $i))))
        (local.set $q1 (v128.load (i32.add (local.get $p1) (local.get $i))))
        (v128.store (local.get $o) (v128.xor (v128.load (local.get $b))
          (i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get $q0) (local.get $q1))))
        (v128.store offset=16 (local.get $o) (v128.xor (v128.load offset=16 (local.get $b))
          (i8x16.shuffle 8 24 9 25 10 26 11 27 12 28 13 29 14 30 15 31 (local.get $q0) (local.get $q1))))
        (local.set $o (i32.add (local.get $o) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br_if $g (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n))))))

  (func (export "xjoin4") (param $p i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $u0 v128) (local $u1 v128) (local $u2 v128) (local $u3 v128) (local $k i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $g
        (local.set $k (i32.add (local.get $p) (local.get $i)))
        (local.set $q0 (v128.load (local.get $k)))
        (local.set $q1 (v128.load (local.tee $k (i32.add (local.get $k) (local.get $n)))))
        (local.set $q2 (v128.load (local.tee $k (i32.add (local.get $k) (local.get $n)))))
        (local.set $q3 (v128.load (i32.add (local.get $k) (local.get $n))))
        (local.set $u0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $q0) (local.get $q1)))
        (local.set $u1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $q0) (local.get $q1)))
        (local.set $u2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $q2) (local.get $q3)))
        (local.set $u3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $q2) (local.get $q3)))
        (local.set $q0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u0) (local.get $u2)))
        (local.set $q1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u0) (local.get $u2)))
        (local.set $q2 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $u1) (local.get $u3)))
        (local.set $q3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $u1) (local.get $u3)))
        (v128.store (local.get $o) (v128.xor (v128.load (local.get $b))
          (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (local.get $q0) (local.get $q0))))
        (v128.store offset=16 (local.get $o) (v128.xor (v128.load offset=16 (local.get $b))
          (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (local.get $q1) (local.get $q1))))
        (v128.store offset=32 (local.get $o) (v128.xor (v128.load offset=32 (local.get $b))
          (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (local.get $q2) (local.get $q2))))
        (v128.store offset=48 (local.get $o) (v128.xor (v128.load offset=48 (local.get $b))
          (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15 (local.get $q3) (local.get $q3))))
        (local.set $o (i32.add (local.get $o) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br_if $g (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n))))))

  (func (export "xjoin8") (param $p i32) (param $b i32) (param $o i32) (param $n i32)
    (local $i i32) (local $k i32)
    (local $z0 v128) (local $z1 v128) (local $z2 v128) (local $z3 v128) (local $z4 v128) (local $z5 v128) (local $z6 v128) (local $z7 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $g
        (local.set $k (i32.add (local.get $p) (local.get $i)))
        (local.set $z0 (v128.load (local.get $k)))
        (local.set $z1 (v128.load (local.tee $k (i32.add (local.get $k) (local.get $n)))))
        (local.set $z2 (v128.load (local.tee $k (i32.add (local.get $k) (local.get $n)))))
        (local.set $z3 (v128.load (local.tee $k (i32.add (local.get $k) (local.get $n)))))
        (local.set $z4 (v128.load (local.tee $k (i32.add (local.get $k) (local.get $n)))))
        (local.set $z5 (v128.load (local.tee $k (i32.add (local.get $k) (local.get $n)))))
        (local.set $z6 (v128.load (local.tee $k (i32.add (local.get $k) (local.get $n)))))
        (local.set $z7 (v128.load (i32.add (local.get $k) (local.get $n))))
        ;; the same 8x8 transpose of 16-bit lanes as xsplit8
        (local.set $a0 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $z0) (local.get $z1)))
        (local.set $a1 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $z0) (local.get $z1)))
        (local.set $a2 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $z2) (local.get $z3)))
        (local.set $a3 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $z2) (local.get $z3)))
        (local.set $a4 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $z4) (local.get $z5)))
        (local.set $a5 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $z4) (local.get $z5)))
        (local.set $a6 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (local.get $z6) (local.get $z7)))
        (local.set $a7 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (local.get $z6) (local.get $z7)))
        (local.set $z0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a2)))
        (local.set $z1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a2)))
        (local.set $z2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a1) (local.get $a3)))
        (local.set $z3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a1) (local.get $a3)))
        (local.set $z4 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a4) (local.get $a6)))
        (local.set $z5 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a4) (local.get $a6)))
        (local.set $z6 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a5) (local.get $a7)))
        (local.set $z7 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a5) (local.get $a7)))
        ;; 64-bit halves give element pair k, bytes grouped by position; ungroup.
        (v128.store (local.get $o) (v128.xor (v128.load (local.get $b))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15
            (local.tee $a0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z0) (local.get $z4))) (local.get $a0))))
        (v128.store offset=16 (local.get $o) (v128.xor (v128.load offset=16 (local.get $b))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15
            (local.tee $a0 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z0) (local.get $z4))) (local.get $a0))))
        (v128.store offset=32 (local.get $o) (v128.xor (v128.load offset=32 (local.get $b))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15
            (local.tee $a0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z1) (local.get $z5))) (local.get $a0))))
        (v128.store offset=48 (local.get $o) (v128.xor (v128.load offset=48 (local.get $b))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15
            (local.tee $a0 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z1) (local.get $z5))) (local.get $a0))))
        (v128.store offset=64 (local.get $o) (v128.xor (v128.load offset=64 (local.get $b))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15
            (local.tee $a0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z2) (local.get $z6))) (local.get $a0))))
        (v128.store offset=80 (local.get $o) (v128.xor (v128.load offset=80 (local.get $b))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15
            (local.tee $a0 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z2) (local.get $z6))) (local.get $a0))))
        (v128.store offset=96 (local.get $o) (v128.xor (v128.load offset=96 (local.get $b))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15
            (local.tee $a0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z3) (local.get $z7))) (local.get $a0))))
        (v128.store offset=112 (local.get $o) (v128.xor (v128.load offset=112 (local.get $b))
          (i8x16.shuffle 0 2 4 6 8 10 12 14 1 3 5 7 9 11 13 15
            (local.tee $a0 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z3) (local.get $z7))) (local.get $a0))))
        (local.set $o (i32.add (local.get $o) (i32.const 128)))
        (local.set $b (i32.add (local.get $b) (i32.const 128)))
        (br_if $g (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n))))))

  ;; ---- change figures, and the planes of old ^ new in the same pass --------
  ;; $o old, $w new, $p planes (written when $planes is non-zero), $n elements.

  ;; f32: the planes of 16 elements as in xsplit4, then four steps of four
  ;; elements. Old and new are widened to f64 two lanes at a time.
  (func (export "fig_f32") (param $o i32) (param $w i32) (param $p i32) (param $n i32) (param $planes i32)
    (local $i i32) (local $j i32) (local $so f64) (local $sd f64) (local $mx v128) (local $cnt v128)
    (local $vo v128) (local $vw v128) (local $lo v128) (local $hi v128) (local $d v128) (local $m v128) (local $s v128)
    (local $y0 v128) (local $y1 v128) (local $y2 v128) (local $y3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $k i32) (local $chg i32)
    (local $inf v128) (local $abs32 v128) (local $inf32 v128)
    (local.set $inf (v128.const f64x2 inf inf))
    (local.set $abs32 (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    (local.set $inf32 (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
    (local.set $so (f64.load (i32.const 0)))
    (local.set $sd (f64.load (i32.const 8)))
    (local.set $mx (f64x2.splat (f64.load (i32.const 16))))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $g
        (if (local.get $planes) (then
          (local.set $y0 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
            (local.tee $t0 (v128.xor (v128.load (local.get $o)) (v128.load (local.get $w)))) (local.get $t0)))
          (local.set $y1 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
            (local.tee $t0 (v128.xor (v128.load offset=16 (local.get $o)) (v128.load offset=16 (local.get $w)))) (local.get $t0)))
          (local.set $y2 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
            (local.tee $t0 (v128.xor (v128.load offset=32 (local.get $o)) (v128.load offset=32 (local.get $w)))) (local.get $t0)))
          (local.set $y3 (i8x16.shuffle 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15
            (local.tee $t0 (v128.xor (v128.load offset=48 (local.get $o)) (v128.load offset=48 (local.get $w)))) (local.get $t0)))
          (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y0) (local.get $y1)))
          (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y0) (local.get $y1)))
          (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y2) (local.get $y3)))
          (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y2) (local.get $y3)))
          (local.set $k (i32.add (local.get $p) (local.get $i)))
          (v128.store (local.get $k) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
          (local.set $k (i32.add (local.get $k) (local.get $n)))
          (v128.store (local.get $k) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
          (local.set $k (i32.add (local.get $k) (local.get $n)))
          (v128.store (local.get $k) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
          (local.set $k (i32.add (local.get $k) (local.get $n)))
          (v128.store (local.get $k) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))))
        (local.set $j (i32.const 0))
        (loop $step
          (local.set $vo (v128.load (i32.add (local.get $o) (local.get $j))))
          (local.set $vw (v128.load (i32.add (local.get $w) (local.get $j))))
          (local.set $lo (f64x2.promote_low_f32x4 (local.get $vo)))
          (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vo) (local.get $vo))))
          (local.set $chg (v128.any_true (v128.xor (local.get $vo) (local.get $vw))))
          (if (i32x4.all_true (v128.and
                (i32x4.lt_s (v128.and (local.get $vo) (local.get $abs32)) (local.get $inf32))
                (i32x4.lt_s (v128.and (local.get $vw) (local.get $abs32)) (local.get $inf32))))
            (then
              ;; all eight values finite (the usual case): nothing to mask
              (local.set $s (f64x2.mul (local.get $lo) (local.get $lo)))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
              (local.set $s (f64x2.mul (local.get $hi) (local.get $hi)))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
              (if (local.get $chg) (then
                (local.set $cnt (i32x4.sub (local.get $cnt) (i32x4.ne (local.get $vo) (local.get $vw))))
                (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $vw)) (local.get $lo)))
                (local.set $mx (f64x2.pmax (local.get $mx) (f64x2.abs (local.get $d))))
                (local.set $s (f64x2.mul (local.get $d) (local.get $d)))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s))))
                (local.set $d (f64x2.sub
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vw) (local.get $vw)))
                  (local.get $hi)))
                (local.set $mx (f64x2.pmax (local.get $mx) (f64x2.abs (local.get $d))))
                (local.set $s (f64x2.mul (local.get $d) (local.get $d)))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s)))))))
            (else
              ;; old^2 for finite old, elements 0 1 then 2 3
              (local.set $s (v128.and (f64x2.mul (local.get $lo) (local.get $lo))
                (f64x2.lt (f64x2.abs (local.get $lo)) (local.get $inf))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
              (local.set $s (v128.and (f64x2.mul (local.get $hi) (local.get $hi))
                (f64x2.lt (f64x2.abs (local.get $hi)) (local.get $inf))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
              ;; d = new - old where the bits differ (elsewhere d is +0 or masked)
              (if (local.get $chg) (then
                (local.set $cnt (i32x4.sub (local.get $cnt) (i32x4.ne (local.get $vo) (local.get $vw))))
                (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $vw)) (local.get $lo)))
                (local.set $m (f64x2.lt (local.tee $s (f64x2.abs (local.get $d))) (local.get $inf)))
                (local.set $mx (f64x2.pmax (local.get $mx) (v128.and (local.get $s) (local.get $m))))
                (local.set $s (v128.and (f64x2.mul (local.get $d) (local.get $d)) (local.get $m)))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s))))
                (local.set $d (f64x2.sub
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vw) (local.get $vw)))
                  (local.get $hi)))
                (local.set $m (f64x2.lt (local.tee $s (f64x2.abs (local.get $d))) (local.get $inf)))
                (local.set $mx (f64x2.pmax (local.get $mx) (v128.and (local.get $s) (local.get $m))))
                (local.set $s (v128.and (f64x2.mul (local.get $d) (local.get $d)) (local.get $m)))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s))))))))
          (br_if $step (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (i32.const 64))))
        (local.set $o (i32.add (local.get $o) (i32.const 64)))
        (local.set $w (i32.add (local.get $w) (i32.const 64)))
        (br_if $g (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n)))))
    (call $finish (local.get $so) (local.get $sd) (local.get $mx) (local.get $cnt)))

  ;; 16-bit floats: elements widened to f32 bit patterns four at a time, then
  ;; the f32 step. bf16 is the top half of an f32; f16 is rebuilt in $fig16.
  (func (export "fig_bf16") (param $o i32) (param $w i32) (param $p i32) (param $n i32) (param $planes i32)
    (call $fig16 (local.get $o) (local.get $w) (local.get $p) (local.get $n) (local.get $planes) (i32.const 0)))
  (func (export "fig_f16") (param $o i32) (param $w i32) (param $p i32) (param $n i32) (param $planes i32)
    (call $fig16 (local.get $o) (local.get $w) (local.get $p) (local.get $n) (local.get $planes) (i32.const 1)))

  (func $fig16 (param $o i32) (param $w i32) (param $p i32) (param $n i32) (param $planes i32) (param $f16 i32)
    (local $i i32) (local $j i32) (local $so f64) (local $sd f64) (local $mx v128) (local $cnt v128)
    (local $vo v128) (local $vw v128) (local $lo v128) (local $hi v128) (local $d v128) (local $m v128) (local $s v128)
    (local $x0 v128) (local $x1 v128) (local $p1 i32) (local $chg i32) (local $t v128) (local $u v128)
    (local $inf v128) (local $abs32 v128) (local $inf32 v128) (local $c7fff v128) (local $c7bff v128) (local $c8000 v128) (local $c0400 v128) (local $rebias v128) (local $p24 v128)
    (local.set $inf (v128.const f64x2 inf inf))
    (local.set $abs32 (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    (local.set $inf32 (v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000))
    (local.set $c7fff (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
    (local.set $c7bff (v128.const i32x4 0x7bff 0x7bff 0x7bff 0x7bff))
    (local.set $c8000 (v128.const i32x4 0x8000 0x8000 0x8000 0x8000))
    (local.set $c0400 (v128.const i32x4 0x400 0x400 0x400 0x400))
    (local.set $rebias (v128.const i32x4 0x38000000 0x38000000 0x38000000 0x38000000))
    (local.set $p24 (v128.const f32x4 0x1p-24 0x1p-24 0x1p-24 0x1p-24))
    (local.set $so (f64.load (i32.const 0)))
    (local.set $sd (f64.load (i32.const 8)))
    (local.set $mx (f64x2.splat (f64.load (i32.const 16))))
    (local.set $p1 (i32.add (local.get $p) (local.get $n)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $g
        (if (local.get $planes) (then
          (local.set $x0 (v128.xor (v128.load (local.get $o)) (v128.load (local.get $w))))
          (local.set $x1 (v128.xor (v128.load offset=16 (local.get $o)) (v128.load offset=16 (local.get $w))))
          (v128.store (i32.add (local.get $p) (local.get $i))
            (i8x16.shuffle 0 2 4 6 8 10 12 14 16 18 20 22 24 26 28 30 (local.get $x0) (local.get $x1)))
          (v128.store (i32.add (local.get $p1) (local.get $i))
            (i8x16.shuffle 1 3 5 7 9 11 13 15 17 19 21 23 25 27 29 31 (local.get $x0) (local.get $x1)))))
        (local.set $j (i32.const 0))
        (loop $step
          (local.set $vo (v128.load16x4_u (i32.add (local.get $o) (local.get $j))))
          (local.set $vw (v128.load16x4_u (i32.add (local.get $w) (local.get $j))))
          ;; changed is decided on the 16-bit patterns
          (if (local.tee $chg (v128.any_true (v128.xor (local.get $vo) (local.get $vw)))) (then
            (local.set $cnt (i32x4.sub (local.get $cnt) (i32x4.ne (local.get $vo) (local.get $vw))))))
          (if (local.get $f16)
            (then
              ;; f16 bits to the f32 bits of the same value: normals by moving the
              ;; exponent and mantissa into place and rebiasing the exponent (+112);
              ;; subnormals as mantissa * 2^-24 (exact, and no subnormal float
              ;; arithmetic, which costs a microcode assist per operation on x86);
              ;; infinities and NaNs keep their mantissa; the sign last.
              (local.set $t (v128.and (local.get $vo) (local.get $c7fff)))
              (local.set $u (i32x4.shl (local.get $t) (i32.const 13)))
              (local.set $vo (v128.or
                (v128.bitselect
                  (v128.or (local.get $u) (local.get $inf32))
                  (v128.bitselect
                    (f32x4.mul (f32x4.convert_i32x4_s (local.get $t)) (local.get $p24))
                    (i32x4.add (local.get $u) (local.get $rebias))
                    (i32x4.lt_s (local.get $t) (local.get $c0400)))
                  (i32x4.gt_s (local.get $t) (local.get $c7bff)))
                (i32x4.shl (v128.and (local.get $vo) (local.get $c8000)) (i32.const 16))))
              (local.set $t (v128.and (local.get $vw) (local.get $c7fff)))
              (local.set $u (i32x4.shl (local.get $t) (i32.const 13)))
              (local.set $vw (v128.or
                (v128.bitselect
                  (v128.or (local.get $u) (local.get $inf32))
                  (v128.bitselect
                    (f32x4.mul (f32x4.convert_i32x4_s (local.get $t)) (local.get $p24))
                    (i32x4.add (local.get $u) (local.get $rebias))
                    (i32x4.lt_s (local.get $t) (local.get $c0400)))
                  (i32x4.gt_s (local.get $t) (local.get $c7bff)))
                (i32x4.shl (v128.and (local.get $vw) (local.get $c8000)) (i32.const 16)))))
            (else
              (local.set $vo (i32x4.shl (local.get $vo) (i32.const 16)))
              (local.set $vw (i32x4.shl (local.get $vw) (i32.const 16)))))
          (local.set $lo (f64x2.promote_low_f32x4 (local.get $vo)))
          (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vo) (local.get $vo))))
          (if (i32x4.all_true (v128.and
                (i32x4.lt_s (v128.and (local.get $vo) (local.get $abs32)) (local.get $inf32))
                (i32x4.lt_s (v128.and (local.get $vw) (local.get $abs32)) (local.get $inf32))))
            (then
              ;; all eight values finite (the usual case): nothing to mask
              (local.set $s (f64x2.mul (local.get $lo) (local.get $lo)))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
              (local.set $s (f64x2.mul (local.get $hi) (local.get $hi)))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
              (if (local.get $chg) (then
                (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $vw)) (local.get $lo)))
                (local.set $mx (f64x2.pmax (local.get $mx) (f64x2.abs (local.get $d))))
                (local.set $s (f64x2.mul (local.get $d) (local.get $d)))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s))))
                (local.set $d (f64x2.sub
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vw) (local.get $vw)))
                  (local.get $hi)))
                (local.set $mx (f64x2.pmax (local.get $mx) (f64x2.abs (local.get $d))))
                (local.set $s (f64x2.mul (local.get $d) (local.get $d)))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s)))))))
            (else
              ;; old^2 for finite old, elements 0 1 then 2 3
              (local.set $s (v128.and (f64x2.mul (local.get $lo) (local.get $lo))
                (f64x2.lt (f64x2.abs (local.get $lo)) (local.get $inf))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
              (local.set $s (v128.and (f64x2.mul (local.get $hi) (local.get $hi))
                (f64x2.lt (f64x2.abs (local.get $hi)) (local.get $inf))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
              (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
              ;; d = new - old where the bits differ (elsewhere d is +0 or masked)
              (if (local.get $chg) (then
                (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $vw)) (local.get $lo)))
                (local.set $m (f64x2.lt (local.tee $s (f64x2.abs (local.get $d))) (local.get $inf)))
                (local.set $mx (f64x2.pmax (local.get $mx) (v128.and (local.get $s) (local.get $m))))
                (local.set $s (v128.and (f64x2.mul (local.get $d) (local.get $d)) (local.get $m)))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s))))
                (local.set $d (f64x2.sub
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vw) (local.get $vw)))
                  (local.get $hi)))
                (local.set $m (f64x2.lt (local.tee $s (f64x2.abs (local.get $d))) (local.get $inf)))
                (local.set $mx (f64x2.pmax (local.get $mx) (v128.and (local.get $s) (local.get $m))))
                (local.set $s (v128.and (f64x2.mul (local.get $d) (local.get $d)) (local.get $m)))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
                (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s))))))))
          (br_if $step (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 8))) (i32.const 32))))
        (local.set $o (i32.add (local.get $o) (i32.const 32)))
        (local.set $w (i32.add (local.get $w) (i32.const 32)))
        (br_if $g (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $n)))))
    (call $finish (local.get $so) (local.get $sd) (local.get $mx) (local.get $cnt)))

  ;; f64: planes as in xsplit8 (called per group of 16), then steps of two elements.
  (func (export "fig_f64") (param $o i32) (param $w i32) (param $p i32) (param $n i32) (param $planes i32)
    (local $i i32) (local $j i32) (local $so f64) (local $sd f64) (local $mx v128) (local $cnt v128)
    (local $vo v128) (local $vw v128) (local $d v128) (local $m v128) (local $s v128)
    (local.set $so (f64.load (i32.const 0)))
    (local.set $sd (f64.load (i32.const 8)))
    (local.set $mx (f64x2.splat (f64.load (i32.const 16))))
    (if (local.get $planes) (then (call $xsplit8 (local.get $o) (local.get $w) (local.get $p) (local.get $n))))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $step
        (local.set $vo (v128.load (local.get $o)))
        (local.set $vw (v128.load (local.get $w)))
        (local.set $s (v128.and (f64x2.mul (local.get $vo) (local.get $vo))
          (f64x2.lt (f64x2.abs (local.get $vo)) (v128.const f64x2 inf inf))))
        (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 0 (local.get $s))))
        (local.set $so (f64.add (local.get $so) (f64x2.extract_lane 1 (local.get $s))))
        (if (v128.any_true (v128.xor (local.get $vo) (local.get $vw))) (then
          ;; 64-bit lanes count as -1 each: counted in 32-bit lanes, both halves
          (local.set $cnt (i32x4.sub (local.get $cnt) (i64x2.ne (local.get $vo) (local.get $vw))))
          (local.set $d (f64x2.sub (local.get $vw) (local.get $vo)))
          (local.set $m (f64x2.lt (local.tee $s (f64x2.abs (local.get $d))) (v128.const f64x2 inf inf)))
          (local.set $mx (f64x2.pmax (local.get $mx) (v128.and (local.get $s) (local.get $m))))
          (local.set $s (v128.and (f64x2.mul (local.get $d) (local.get $d)) (local.get $m)))
          (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 0 (local.get $s))))
          (local.set $sd (f64.add (local.get $sd) (f64x2.extract_lane 1 (local.get $s))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (br_if $step (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 2))) (local.get $n)))))
    ;; a changed element counted in both 32-bit halves of its lane: keep one
    (local.set $cnt (v128.and (local.get $cnt) (v128.const i32x4 -1 0 -1 0)))
    (call $finish (local.get $so) (local.get $sd) (local.get $mx) (local.get $cnt)))

  ;; Writes the running state back: sums, max over both lanes, count over four.
  (func $finish (param $so f64) (param $sd f64) (param $mx v128) (param $cnt v128)
    (f64.store (i32.const 0) (local.get $so))
    (f64.store (i32.const 8) (local.get $sd))
    (f64.store (i32.const 16) (f64.max (f64x2.extract_lane 0 (local.get $mx)) (f64x2.extract_lane 1 (local.get $mx))))
    (i32.store (i32.const 24) (i32.add (i32.load (i32.const 24))
      (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $cnt)) (i32x4.extract_lane 1 (local.get $cnt)))
        (i32.add (i32x4.extract_lane 2 (local.get $cnt)) (i32x4.extract_lane 3 (local.get $cnt)))))))
)
