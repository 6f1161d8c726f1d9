;; Binary trees (the Benchmarks Game's binary-trees) on wasm GC structs, for
;; the gc section of benches/run.py, run by benches/host/gc_host.c in both
;; runtimes (converted to binary there by each runtime's own wat2wasm).
;;
;; binary_trees(n): with min_depth 4 and max_depth = max(min_depth + 2, n),
;; builds and checks a stretch tree of depth max_depth + 1, builds a
;; long-lived tree of depth max_depth (held in a local, so a stack root,
;; across the rest), then for d = 4, 6, ..., max_depth builds and checks
;; 2^(max_depth - d + min_depth) trees of depth d, then checks the
;; long-lived tree; returns the total of the checks (the nodes counted).
;; Every node is allocated by one struct.new and counted by exactly one
;; check, so the result is also the number of struct.new executed; a tree
;; of depth d has 2^(d+1) - 1 nodes (depth 0: one node with null children).
;; For n = 16: 262143 + 131071 + sum over d of 2^(20-d) * (2^(d+1) - 1)
;; = 14 985 902.
;;
;; For the pause measurement: keep(d) builds a tree of depth d, holds it in
;; the global $kept and returns its check; kept_check() checks the tree held
;; (0 when none), to see it survived collections; clear() drops it.
(module
  (type $node (struct (field (ref null $node)) (field (ref null $node))))

  (global $kept (mut (ref null $node)) (ref.null $node))

  ;; bottom_up_tree: a complete tree of depth $d.
  (func $make (param $d i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $d))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else
        (struct.new $node
          (call $make (i32.sub (local.get $d) (i32.const 1)))
          (call $make (i32.sub (local.get $d) (i32.const 1)))))))

  ;; item_check: the nodes of the tree (leaves have two null children).
  (func $check (param $t (ref $node)) (result i32)
    (local $left (ref null $node))
    (local.set $left (struct.get $node 0 (local.get $t)))
    (if (result i32) (ref.is_null (local.get $left))
      (then (i32.const 1))
      (else
        (i32.add
          (i32.add (i32.const 1) (call $check (ref.as_non_null (local.get $left))))
          (call $check (ref.as_non_null (struct.get $node 1 (local.get $t))))))))

  (func (export "binary_trees") (param $n i32) (result i64)
    (local $max i32)
    (local $d i32)
    (local $iterations i32)
    (local $i i32)
    (local $total i64)
    (local $long_lived (ref null $node))
    ;; max_depth = max(min_depth + 2, n)
    (local.set $max
      (select (local.get $n) (i32.const 6) (i32.gt_s (local.get $n) (i32.const 6))))
    ;; the stretch tree
    (local.set $total
      (i64.extend_i32_u
        (call $check (call $make (i32.add (local.get $max) (i32.const 1))))))
    (local.set $long_lived (call $make (local.get $max)))
    (local.set $d (i32.const 4))
    (block $done
      (loop $depths
        (br_if $done (i32.gt_s (local.get $d) (local.get $max)))
        (local.set $iterations
          (i32.shl (i32.const 1)
            (i32.add (i32.sub (local.get $max) (local.get $d)) (i32.const 4))))
        (local.set $i (i32.const 0))
        (loop $trees
          (local.set $total
            (i64.add (local.get $total)
              (i64.extend_i32_u (call $check (call $make (local.get $d))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $trees (i32.lt_s (local.get $i) (local.get $iterations))))
        (local.set $d (i32.add (local.get $d) (i32.const 2)))
        (br $depths)))
    (i64.add (local.get $total)
      (i64.extend_i32_u (call $check (ref.as_non_null (local.get $long_lived))))))

  (func (export "keep") (param $d i32) (result i32)
    (global.set $kept (call $make (local.get $d)))
    (call $check (ref.as_non_null (global.get $kept))))

  (func (export "kept_check") (result i32)
    (if (result i32) (ref.is_null (global.get $kept))
      (then (i32.const 0))
      (else (call $check (ref.as_non_null (global.get $kept))))))

  (func (export "clear")
    (global.set $kept (ref.null $node))))
