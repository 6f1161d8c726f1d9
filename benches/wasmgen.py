"""Writes the small synthetic wasm modules the benchmarks need, in binary.

Generated here rather than written in text so the benchmarks need no wat
tool: the modules are tiny and their shape is the point (a data segment of
an exact size, a table of an exact length, a loop calling an import).

Every module that is instantiated exports `check: [] -> [i32]`, returning 1
when its data segment and table were initialised as expected, so a runtime
that skips initialisation cannot look fast.
"""

import random

# Value and section encodings of the binary format.
I32 = 0x7F
FUNCREF = 0x70
SECTION_TYPE, SECTION_IMPORT, SECTION_FUNCTION, SECTION_TABLE = 1, 2, 3, 4
SECTION_MEMORY, SECTION_EXPORT, SECTION_ELEMENT = 5, 7, 9
SECTION_CODE, SECTION_DATA = 10, 11
EXPORT_FUNC, EXPORT_MEMORY = 0x00, 0x02

# Opcodes used by the generated bodies.
OP_BLOCK, OP_LOOP, OP_BR, OP_BR_IF, OP_END = 0x02, 0x03, 0x0C, 0x0D, 0x0B
OP_CALL, OP_CALL_INDIRECT = 0x10, 0x11
OP_LOCAL_GET, OP_LOCAL_SET = 0x20, 0x21
OP_I32_LOAD8_U, OP_I32_CONST = 0x2D, 0x41
OP_I32_EQZ, OP_I32_EQ, OP_I32_ADD, OP_I32_SUB = 0x45, 0x46, 0x6A, 0x6B
BLOCKTYPE_EMPTY = 0x40


def uleb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def vec(items):
    items = list(items)
    return uleb(len(items)) + b"".join(items)


def name(text):
    raw = text.encode()
    return uleb(len(raw)) + raw


def section(section_id, payload):
    return bytes([section_id]) + uleb(len(payload)) + payload


def functype(params, results):
    return b"\x60" + vec(bytes([p]) for p in params) + vec(bytes([r]) for r in results)


def code_entry(body, locals_=b"\x00"):
    entry = locals_ + body
    return uleb(len(entry)) + entry


def i32_const(value):
    return bytes([OP_I32_CONST]) + sleb(value)


def module(sections):
    return b"\x00asm\x01\x00\x00\x00" + b"".join(section(i, p) for i, p in sections)


# Functions placed in the tables return 1..TABLE_FUNCS.
TABLE_FUNCS = 10


def initialised_module(data_bytes, table_size, seed=1):
    """A module with one memory holding an active data segment of
    `data_bytes` pseudo-random bytes at offset 0, and one funcref table of
    `table_size` entries filled by an active element segment (entry i holds
    function i % 10, which returns i % 10 + 1)."""
    data = random.Random(seed).randbytes(data_bytes)
    pages = max(1, (data_bytes + 0xFFFF) // 0x10000)
    probe = data_bytes // 3
    last = table_size - 1
    expected = data[probe] + data[-1] + (last % TABLE_FUNCS + 1)

    types = vec([functype([], [I32])])
    funcs = vec([uleb(0)] * (TABLE_FUNCS + 1))  # the table's targets, then `check`
    table = vec([bytes([FUNCREF, 0x01]) + uleb(table_size) + uleb(table_size)])
    memory = vec([b"\x01" + uleb(pages) + uleb(pages)])
    check_index = TABLE_FUNCS
    exports = vec([
        name("check") + bytes([EXPORT_FUNC]) + uleb(check_index),
        name("memory") + bytes([EXPORT_MEMORY]) + uleb(0),
    ])
    elements = vec([
        b"\x00" + i32_const(0) + bytes([OP_END])
        + vec(uleb(i % TABLE_FUNCS) for i in range(table_size))
    ])
    bodies = [code_entry(i32_const(i + 1) + bytes([OP_END])) for i in range(TABLE_FUNCS)]
    check = (
        i32_const(probe) + bytes([OP_I32_LOAD8_U, 0x00]) + uleb(0)
        + i32_const(data_bytes - 1) + bytes([OP_I32_LOAD8_U, 0x00]) + uleb(0)
        + bytes([OP_I32_ADD])
        + i32_const(last) + bytes([OP_CALL_INDIRECT]) + uleb(0) + uleb(0)
        + bytes([OP_I32_ADD])
        + i32_const(expected) + bytes([OP_I32_EQ, OP_END])
    )
    bodies.append(code_entry(check))
    datas = vec([b"\x00" + i32_const(0) + bytes([OP_END]) + uleb(len(data)) + data])
    return module([
        (SECTION_TYPE, types),
        (SECTION_FUNCTION, funcs),
        (SECTION_TABLE, table),
        (SECTION_MEMORY, memory),
        (SECTION_EXPORT, exports),
        (SECTION_ELEMENT, elements),
        (SECTION_CODE, vec(bodies)),
        (SECTION_DATA, datas),
    ])


def calls_module():
    """Imports `env.host_nop: [] -> []`; exports `nop: [] -> []`,
    `id: [i32] -> [i32]` and `call_host: [i32] -> []`, which calls the
    import as many times as its argument says."""
    types = vec([functype([], []), functype([I32], [I32]), functype([I32], [])])
    imports = vec([name("env") + name("host_nop") + b"\x00" + uleb(0)])
    funcs = vec([uleb(0), uleb(1), uleb(2)])  # nop, id, call_host (indices 1..3)
    exports = vec([
        name("nop") + bytes([EXPORT_FUNC]) + uleb(1),
        name("id") + bytes([EXPORT_FUNC]) + uleb(2),
        name("call_host") + bytes([EXPORT_FUNC]) + uleb(3),
    ])
    nop = bytes([OP_END])
    identity = bytes([OP_LOCAL_GET, 0, OP_END])
    call_host = bytes([
        OP_BLOCK, BLOCKTYPE_EMPTY, OP_LOOP, BLOCKTYPE_EMPTY,
        OP_LOCAL_GET, 0, OP_I32_EQZ, OP_BR_IF, 1,
        OP_CALL, 0,
        OP_LOCAL_GET, 0,
    ]) + i32_const(1) + bytes([
        OP_I32_SUB, OP_LOCAL_SET, 0,
        OP_BR, 0, OP_END, OP_END, OP_END,
    ])
    bodies = vec([code_entry(nop), code_entry(identity), code_entry(call_host)])
    return module([
        (SECTION_TYPE, types),
        (SECTION_IMPORT, imports),
        (SECTION_FUNCTION, funcs),
        (SECTION_EXPORT, exports),
        (SECTION_CODE, bodies),
    ])


# Exception handling (the exceptions benchmarks).
I64 = 0x7E
SECTION_TAG, SECTION_GLOBAL = 13, 6
OP_TRY_TABLE, OP_THROW = 0x1F, 0x08
OP_GLOBAL_SET, OP_I32_GE_U, OP_I32_XOR = 0x24, 0x4F, 0x73
OP_I64_CONST, OP_I64_EQ, OP_I64_ADD, OP_I64_EXTEND_I32_U = 0x42, 0x51, 0x7C, 0xAD
OP_GLOBAL_GET, OP_SELECT = 0x23, 0x1B
CATCH_TAG, CATCH_ALL = 0x00, 0x02
LEAF_MASK = 0x5555
# Frames between a throw and its catch in the throw benchmarks.
THROW_DEPTH = 10


def exceptions_kernel(variant, n):
    """A kernel (the bench_size/run/last_checksum interface of
    kernels/kernel.h) whose `run(n)` sums `leaf(i) = i ^ 0x5555` for i < n
    and checks the sum. How each `leaf(i)` is reached is the variant:

      "plain"        a plain call of the leaf;
      "try"          the same call inside a `try_table` with a `catch_all`
                     (never taken): the cost of a call that could throw;
      "return-deep"  inside a `try_table` catching tag 0, a chain of
                     THROW_DEPTH calls down to the leaf, returning normally;
      "throw-deep"   the same chain whose bottom throws the value with
                     tag 0, caught by the `try_table` THROW_DEPTH frames up.
    """
    expected = sum(i ^ LEAF_MASK for i in range(n))
    deep = variant in ("return-deep", "throw-deep")
    types = vec([functype([], [I32]), functype([I32], [I32]), functype([], [I64]),
                 functype([I32], [])])
    chain = THROW_DEPTH if deep else 0
    # Functions: 0 bench_size, 1 run, 2 last_checksum, 3 the leaf, then
    # the chain f1..fN (f_k calls f_{k-1}; f0 is the leaf).
    funcs = vec([uleb(0), uleb(1), uleb(2), uleb(1)] + [uleb(1)] * chain)
    tags = vec([b"\x00" + uleb(3)])
    globals_ = vec([bytes([I64, 1, OP_I64_CONST, 0, OP_END])])
    exports = vec([
        name("bench_size") + bytes([EXPORT_FUNC]) + uleb(0),
        name("run") + bytes([EXPORT_FUNC]) + uleb(1),
        name("last_checksum") + bytes([EXPORT_FUNC]) + uleb(2),
    ])
    bench_size = i32_const(n) + bytes([OP_END])
    last_checksum = bytes([OP_GLOBAL_GET, 0, OP_END])
    leaf_value = bytes([OP_LOCAL_GET, 0]) + i32_const(LEAF_MASK) + bytes([OP_I32_XOR])
    if variant == "throw-deep":
        leaf = leaf_value + bytes([OP_THROW, 0, OP_END])
    else:
        leaf = leaf_value + bytes([OP_END])
    links = [bytes([OP_LOCAL_GET, 0, OP_CALL]) + uleb(3 + k) + bytes([OP_END])
             for k in range(chain)]
    top = 3 + chain
    # run(n): locals i (1: i32) and acc (2: i64).
    call = bytes([OP_LOCAL_GET, 1, OP_CALL]) + uleb(top)
    if variant == "plain":
        value = call
    elif variant == "try":
        # block $skip (try_table (catch_all $skip) (call) (add)) end: the
        # sum is updated inside the try_table.
        value = None
    else:
        # block $h (result i32) (try_table (result i32) (catch 0 $h) call)
        value = (bytes([OP_BLOCK, I32, OP_TRY_TABLE, I32]) + vec([bytes([CATCH_TAG, 0, 0])])
                 + call + bytes([OP_END, OP_END]))
    accumulate = bytes([OP_I64_EXTEND_I32_U, OP_LOCAL_GET, 2, OP_I64_ADD, OP_LOCAL_SET, 2])
    if value is None:
        step = (bytes([OP_BLOCK, BLOCKTYPE_EMPTY, OP_TRY_TABLE, BLOCKTYPE_EMPTY])
                + vec([bytes([CATCH_ALL, 0])]) + call + accumulate + bytes([OP_END, OP_END]))
    else:
        step = value + accumulate
    loop = (bytes([OP_BLOCK, BLOCKTYPE_EMPTY, OP_LOOP, BLOCKTYPE_EMPTY,
                   OP_LOCAL_GET, 1, OP_LOCAL_GET, 0, OP_I32_GE_U, OP_BR_IF, 1])
            + step
            + bytes([OP_LOCAL_GET, 1]) + i32_const(1) + bytes([OP_I32_ADD, OP_LOCAL_SET, 1,
                                                              OP_BR, 0, OP_END, OP_END]))
    check = (bytes([OP_LOCAL_GET, 2, OP_GLOBAL_SET, 0])
             + i32_const(0) + i32_const(1)
             + bytes([OP_LOCAL_GET, 2, OP_I64_CONST]) + sleb(expected)
             + bytes([OP_I64_EQ, OP_SELECT, OP_END]))
    run = loop + check
    run_locals = vec([uleb(1) + bytes([I32]), uleb(1) + bytes([I64])])
    bodies = vec([code_entry(bench_size), code_entry(run, run_locals), code_entry(last_checksum),
                  code_entry(leaf)] + [code_entry(link) for link in links])
    sections = [(SECTION_TYPE, types), (SECTION_FUNCTION, funcs)]
    if deep:
        sections.append((SECTION_TAG, tags))
    sections += [(SECTION_GLOBAL, globals_), (SECTION_EXPORT, exports), (SECTION_CODE, bodies)]
    return module(sections)


# Async calls (the async benchmarks).

def counting_loop(body):
    """`for (i = 0; i < n; i++) body` over locals n (0) and i (1), the body
    leaving the stack as it found it."""
    return (bytes([OP_BLOCK, BLOCKTYPE_EMPTY, OP_LOOP, BLOCKTYPE_EMPTY,
                   OP_LOCAL_GET, 1, OP_LOCAL_GET, 0, OP_I32_GE_U, OP_BR_IF, 1])
            + body
            + bytes([OP_LOCAL_GET, 1]) + i32_const(1)
            + bytes([OP_I32_ADD, OP_LOCAL_SET, 1, OP_BR, 0, OP_END, OP_END]))


def async_calls_module():
    """No imports; exports `f: [i32] -> [i32]`, the identity, and
    `spin: [i32] -> [i32]`, which returns the sum of i for i < n (mod
    2^32): a loop that burns fuel for the fuel-yield benchmark."""
    types = vec([functype([I32], [I32])])
    funcs = vec([uleb(0), uleb(0)])
    exports = vec([
        name("f") + bytes([EXPORT_FUNC]) + uleb(0),
        name("spin") + bytes([EXPORT_FUNC]) + uleb(1),
    ])
    identity = bytes([OP_LOCAL_GET, 0, OP_END])
    # locals: i (1), acc (2)
    spin = counting_loop(bytes([OP_LOCAL_GET, 1, OP_LOCAL_GET, 2, OP_I32_ADD, OP_LOCAL_SET, 2])) \
        + bytes([OP_LOCAL_GET, 2, OP_END])
    bodies = vec([code_entry(identity), code_entry(spin, vec([uleb(2) + bytes([I32])]))])
    return module([
        (SECTION_TYPE, types),
        (SECTION_FUNCTION, funcs),
        (SECTION_EXPORT, exports),
        (SECTION_CODE, bodies),
    ])


def async_suspend_module():
    """Imports `host.suspend: [i32] -> [i32]` (an async host function);
    exports `suspend_loop: [i32] -> [i32]`, which calls it with i for
    i < n and returns the sum of its results (mod 2^32)."""
    types = vec([functype([I32], [I32])])
    imports = vec([name("host") + name("suspend") + b"\x00" + uleb(0)])
    funcs = vec([uleb(0)])  # suspend_loop (index 1)
    exports = vec([name("suspend_loop") + bytes([EXPORT_FUNC]) + uleb(1)])
    # locals: i (1), acc (2)
    body = counting_loop(bytes([OP_LOCAL_GET, 1, OP_CALL, 0, OP_LOCAL_GET, 2, OP_I32_ADD,
                                OP_LOCAL_SET, 2])) + bytes([OP_LOCAL_GET, 2, OP_END])
    bodies = vec([code_entry(body, vec([uleb(2) + bytes([I32])]))])
    return module([
        (SECTION_TYPE, types),
        (SECTION_IMPORT, imports),
        (SECTION_FUNCTION, funcs),
        (SECTION_EXPORT, exports),
        (SECTION_CODE, bodies),
    ])
