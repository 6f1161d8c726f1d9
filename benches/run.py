#!/usr/bin/env python3
"""Benchmarks: our runtime side by side with Wasmtime and native code.

    python3 benches/run.py

builds everything it needs, measures, prints Markdown tables (ours, the
reference runtime, native where it applies, and the ratios, all measured in
this run on this machine) and writes the results as JSON to
benches/build/results.json (plus a timestamped copy in benches/build/results/).
Progress goes to stderr, the tables to stdout. About 5 minutes of measuring on
2 idle cores (one of them the start-up section's), plus the release build of
the library and, the first time, about 20 s building sqlite3 to wasm32-wasi.

What it measures:
  - execution: 13 C kernels (kernels/*.c; integer: sieve, sort, sha256,
    interp, lz; floating point: nbody, matmul, spectralnorm, mandelbrot;
    memory: memops, ptrchase; calls: fib, indirect), each checking its own
    answer, in ours, in the reference and natively; and SIMD: four kernels
    written with wasm_simd128.h intrinsics (mat4: 4x4 f32 matrix products,
    bytesum: byte sums and squares, blend: RGBA alpha blending, dot16: i16
    dot products) plus clang's autovectorisation (-O3 -msimd128) of five
    scalar kernels, against native -O3 -msse4.2 and -O3 -mavx2 builds and
    against our runtime on the same source built without SIMD;
  - compilation: wall and CPU time, throughput and code size of
    wasm_module_new on real-world modules from the npm registry;
  - instantiation: a module with a 1 MiB data segment and a 10 000-entry table,
    with on-demand allocation; then instantiate + drop with the pooling
    allocator on in both runtimes (set through each one's C API: 100 slots,
    16 MiB memories) for that module and an empty one;
  - calls: host -> wasm and wasm -> host, ns per call;
  - async: a trivial host -> wasm call made synchronously (default engine)
    and as an async call (engine with async support; start, poll to
    completion, delete the future, per call), a suspend/resume round trip
    through an async host function, and a fuel yield, in both runtimes
    through the same C host (host/async_host.c);
  - gc: wasm GC structs (gc/binary_trees.wat), in both runtimes through the
    same C host (host/gc_host.c), GC on (function references + GC; ours
    with its `auto` collector, the mark-sweep one; the reference with its
    DRC collector, its default): the Benchmarks Game's binary-trees at
    depth 16 (time per run and allocation throughput, struct.new per
    second, the node count checked), and the pause of an explicit full
    collection (ours `wasm_store_gc`, the reference `wasmtime_context_gc`)
    with a depth-16 tree live in a global, after clearing it, and with
    nothing held;
  - memory: resident size of a compiled module and of 1000 live instances;
  - variants: the cost of explicit bounds checks (the memory kernels built
    for wasm64, whose memory64 accesses are always checked, against their
    wasm32 build), of atomics (kernels/histogram.c built with -matomics
    on a shared memory against its plain build) and of exception handling
    (a call inside a try_table against a plain call, and a throw caught ten
    frames up against returning through them), in each runtime;
  - start-up (WASI): wall time of one process running a WASI command, a C
    hello world and sqlite3 (with tests/wasi-programs/sqlite/driver.c) on a
    small script, compiled from the .wasm and from a precompiled file; both
    runtimes through the same C host (host/wasi_host.c), and our
    command-line runner (`wasm-runtime run`).

What it builds (into benches/build/, gitignored):
  - our library: `cargo build --release --lib` in the repository (honours
    CARGO_TARGET_DIR), copied to build/ours/;
  - the reference: Wasmtime's C library, `_libwasmtime.so` from the `wasmtime`
    wheel on PyPI (`pip download`; version pinned below, or
    BENCH_WASMTIME_VERSION), as build/wasmtime/<version>/;
  - host/bench_host.c twice ($CC, default cc), once against include/wasm.h
    linked to ours and once against host/wasmtime-abi/wasm.h linked to the
    reference (the two wasm_val_t layouts differ; see the host's header
    comment); both use each runtime's default configuration;
  - the C kernels in kernels/ to wasm32 (clang + wasm-ld, no libc) and
    natively (clang -O2) for the native column;
  - synthetic modules (wasmgen.py) for instantiation, calls and async;
  - real-world modules fetched from the npm registry (`npm pack`) for the
    compilation benchmarks;
  - for async: host/async_host.c twice (against include/ for ours, against
    host/wasmtime-abi/ with -DBENCH_REFERENCE for the reference);
  - for gc: host/gc_host.c twice, the same way; it reads gc/binary_trees.wat
    and converts it with the runtime's own wat2wasm (wasm_wat2wasm,
    wasmtime_wat2wasm);
  - for start-up: host/wasi_host.c twice (against include/ with wasi.h for
    ours, against host/wasmtime-abi/ with -DBENCH_REFERENCE for the
    reference), our CLI from cli/*.c, and hello.c and sqlite3 to wasm32-wasi
    (clang + wasi-libc; sqlite3.c from the libsqlite3-sys dev-dependency,
    found with `cargo metadata`).

Every measurement runs in its own process, one runtime at a time, runtimes
interleaved per benchmark. Single-threaded measurements (execution, calls,
instantiation, gc: both runtimes collect on the calling thread) are timed by
the calling thread's CPU clock, which does not count time the core spent on
other processes (see --wall); compilation is timed by wall clock and by the
process's CPU clock (all threads). When our library fails a benchmark (it does not
build, the module does not compile, a trap, a wrong result, a crash, a
timeout) the table cell says so and the run goes on.

Needs: python3 (standard library only), a Rust toolchain, clang, lld
(wasm-ld), a C compiler, npm, pip, and for start-up wasi-libc. On Debian:
apt-get install clang lld npm wasi-libc.

Options:
  --quick             fewer repetitions and the small npm modules only (smoke run)
  --only SECTIONS     comma-separated subset of:
                      exec,compile,instantiate,calls,async,gc,memory,
                      variants,startup (e.g. --only gc)
  --kernels NAMES     comma-separated subset of the kernels (the SIMD ones are
                      mat4, bytesum, blend, dot16 and <kernel>+simd128)
  --no-cargo          use the already built library instead of running cargo
  --json PATH         also write the JSON results to PATH
  --compare OLD.json  add a table with the change of our medians against an
                      earlier results file (and the reference's, as a control)
  --wall              show wall time for execution, calls and instantiation
                      (default: the calling thread's CPU time, which other
                      processes' load does not inflate; both are in the JSON)
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(HERE, "build")
sys.path.insert(0, HERE)
import wasmgen  # noqa: E402

# The reference runtime, pinned so results stay comparable across runs.
WASMTIME_VERSION = os.environ.get("BENCH_WASMTIME_VERSION", "50.0.1")

# Real-world modules for the compilation benchmarks: (label, npm spec, path
# of the .wasm inside the package tarball, toolchain that produced it).
NPM_MODULES = [
    ("sqlite3", "@sqlite.org/sqlite-wasm@3.41.2", "package/sqlite-wasm/jswasm/sqlite3.wasm", "C, Emscripten"),
    ("resvg", "@resvg/resvg-wasm@2.6.2", "package/index_bg.wasm", "Rust"),
    ("esbuild", "esbuild-wasm@0.28.2", "package/esbuild.wasm", "Go"),
]
QUICK_NPM_MODULES = {"sqlite3"}
MEMORY_MODULE = "sqlite3"  # the compiled module whose resident size is measured

KERNELS = [
    "sieve", "sort", "sha256", "interp", "lz",
    "nbody", "matmul", "spectralnorm", "mandelbrot",
    "memops", "ptrchase",
    "fib", "indirect",
]
# SIMD kernels written with wasm_simd128.h intrinsics (plain C otherwise).
SIMD_KERNELS = ["mat4", "bytesum", "blend", "dot16"]
# Scalar kernels also measured as clang autovectorises them (-O3 -msimd128),
# as `<kernel>+simd128`.
AUTOVEC_KERNELS = ["matmul", "spectralnorm", "mandelbrot", "memops", "sieve"]
AUTOVEC_SUFFIX = "+simd128"
ALL_KERNELS = KERNELS + SIMD_KERNELS + [k + AUTOVEC_SUFFIX for k in AUTOVEC_KERNELS]


def is_simd_kernel(name):
    """SIMD rows: the intrinsics kernels and the autovectorised builds."""
    return name in SIMD_KERNELS or name.endswith(AUTOVEC_SUFFIX)

WASM_CFLAGS = [
    "--target=wasm32", "-O2", "-mbulk-memory", "-fno-math-errno", "-ffp-contract=off",
    "-nostdlib", "-Wl,--no-entry", "-Wall", "-Wextra", "-Werror",
]
NATIVE_CFLAGS = ["-O2", "-fno-math-errno", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror"]
# SIMD builds: wasm at -O3 with SIMD128; native at -O3 for SSE4.2 (the
# features our SIMD lowering needs) and, as a second column, for AVX2.
WASM_SIMD_CFLAGS = ["-O3" if f == "-O2" else f for f in WASM_CFLAGS] + ["-msimd128"]
NATIVE_SSE42_CFLAGS = ["-O3" if f == "-O2" else f for f in NATIVE_CFLAGS] + ["-msse4.2"]
NATIVE_AVX2_CFLAGS = ["-O3" if f == "-O2" else f for f in NATIVE_CFLAGS] + ["-mavx2"]
HOST_CFLAGS = ["-O2", "-std=c11", "-Wall", "-Wextra"]

# The variants section: kernels built for wasm64 against their wasm32 build
# (memory64: every access bounds-checked explicitly), and the histogram built
# with atomics on a shared memory against its plain build.
WASM64_KERNELS = ["sieve", "sort", "sha256", "interp", "lz", "matmul", "memops", "ptrchase"]
ATOMIC_KERNEL = "histogram"
WASM64_CFLAGS = WASM_CFLAGS + ["--target=wasm64"]
ATOMIC_CFLAGS = WASM_CFLAGS + ["-matomics", "-DBENCH_ATOMIC", "-Wl,--shared-memory",
                               "-Wl,--max-memory=16777216"]

# The gc section's module and binary-trees depth (the Benchmarks Game's n).
GC_MODULE = os.path.join(HERE, "gc", "binary_trees.wat")
GC_DEPTH = 16

RUNTIMES = ["ours", "wasmtime"]
SECTIONS = ["exec", "compile", "instantiate", "calls", "async", "gc", "memory", "variants",
            "startup"]

START = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - START:6.1f}s] {message}", file=sys.stderr, flush=True)


class Settings:
    def __init__(self, quick, wall):
        # Clock of the single-threaded measurements (execution, calls,
        # instantiation): the calling thread's CPU time unless --wall.
        self.clock = "wall" if wall else "cpu"
        self.exec_repeats = 3 if quick else 5
        self.compile_repeats = 1 if quick else 3
        self.instances = 100 if quick else 500
        self.calls = 200_000 if quick else 1_000_000
        # The async section: batches per measurement, each at least this
        # long (CPU time of the calling thread).
        self.async_batches = 3 if quick else 7
        self.async_batch_s = 0.05 if quick else 0.2
        # The gc section: binary-trees runs (each ~1-2 s) and collections
        # timed per pause measurement.
        self.gc_depth = GC_DEPTH
        self.gc_runs = 3 if quick else 5
        self.gc_pause_samples = 5 if quick else 11
        self.live_instances = 1000
        self.startup_runs = 3 if quick else 11
        self.npm_modules = [m for m in NPM_MODULES if not quick or m[0] in QUICK_NPM_MODULES]


# ---- running things --------------------------------------------------------

def run_tool(args, cwd=None, log_path=None, env=None):
    """Runs a build step; returns (ok, output)."""
    try:
        proc = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace")
    except OSError as e:
        return False, f"{args[0]}: {e}"
    if log_path:
        with open(log_path, "w") as f:
            f.write(proc.stdout)
    return proc.returncode == 0, proc.stdout


def first_error_line(output):
    lines = [l.strip() for l in output.splitlines() if l.strip()]
    for line in lines:
        if "error" in line.lower():
            return line
    return lines[-1] if lines else "no output"


def measure(args, timeout, env=None):
    """Runs one measurement process (in `env`, default this one's); returns
    its JSON object, or {"ok": False, "error": ...} saying how it failed."""
    try:
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace", timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout} s"}
    except OSError as e:
        return {"ok": False, "error": str(e)}
    result = None
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                pass
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        tail = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
        return {"ok": False, "error": "crashed: " + name + (f" ({tail[0]})" if tail else "")}
    if result is None:
        tail = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else ["no output"]
        return {"ok": False, "error": f"exit {proc.returncode}: {tail[0]}"}
    if proc.returncode != 0 and result.get("ok"):
        return {"ok": False, "error": f"exit {proc.returncode} after reporting success"}
    return result


def stats(samples, scale=1.0):
    values = [v * scale for v in samples]
    return {"min": min(values), "median": statistics.median(values), "max": max(values),
            "samples": values}


# ---- building ---------------------------------------------------------------

def require_tools():
    missing = [t for t in ("clang", "wasm-ld", "cargo", "npm") if not shutil.which(t)]
    if missing:
        sys.exit("benches/run.py: missing tools: " + ", ".join(missing)
                 + " (Debian: apt-get install clang lld npm; Rust from rustup)")


def build_ours(use_cargo):
    """Builds our library; returns (directory holding it, None) or (None, error)."""
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    if not os.path.isabs(target):
        target = os.path.join(ROOT, target)
    if use_cargo:
        log("building our library: cargo build --release --lib (log: benches/build/cargo-release.log)")
        ok, output = run_tool(["cargo", "build", "--release", "--lib"], cwd=ROOT,
                              log_path=os.path.join(BUILD, "cargo-release.log"))
        if not ok:
            return None, "cargo build failed: " + first_error_line(output)
    lib = os.path.join(target, "release", "libwasm_runtime.so")
    if not os.path.exists(lib):
        return None, f"{lib} not found"
    # Snapshot the library so the run uses exactly what was just built, and
    # give it the file name its SONAME asks for.
    out = os.path.join(BUILD, "ours")
    os.makedirs(out, exist_ok=True)
    shutil.copy2(lib, os.path.join(out, "libwasm_runtime.so"))
    soname = read_soname(lib)
    if soname and soname != "libwasm_runtime.so":
        link = os.path.join(out, soname)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink("libwasm_runtime.so", link)
    return out, None


def read_soname(path):
    ok, output = run_tool(["readelf", "-d", path])
    if not ok:
        return None
    for line in output.splitlines():
        if "(SONAME)" in line and "[" in line:
            return line.split("[", 1)[1].split("]", 1)[0]
    return None


def wheel_platform():
    machine = platform.machine()
    if machine in ("x86_64", "AMD64"):
        return "x86_64", ["manylinux1_x86_64", "manylinux2014_x86_64", "manylinux_2_17_x86_64"]
    if machine in ("aarch64", "arm64"):
        return "aarch64", ["manylinux2014_aarch64", "manylinux_2_17_aarch64"]
    return machine, [f"manylinux2014_{machine}"]


def fetch_wasmtime():
    """Returns (directory holding libwasmtime.so, None) or (None, error)."""
    out = os.path.join(BUILD, "wasmtime", WASMTIME_VERSION)
    lib = os.path.join(out, "libwasmtime.so")
    if os.path.exists(lib):
        return out, None
    os.makedirs(out, exist_ok=True)
    arch, platforms = wheel_platform()
    log(f"fetching the reference runtime: pip download wasmtime=={WASMTIME_VERSION} ({arch})")
    args = [sys.executable, "-m", "pip", "download", f"wasmtime=={WASMTIME_VERSION}",
            "--no-deps", "--only-binary=:all:", "--python-version", "3.11", "-d", out,
            "--disable-pip-version-check", "--quiet"]
    for p in platforms:
        args += ["--platform", p]
    ok, output = run_tool(args)
    if not ok:
        return None, "pip download wasmtime failed: " + first_error_line(output)
    wheels = [f for f in os.listdir(out) if f.endswith(".whl")]
    if not wheels:
        return None, "pip download produced no wheel"
    with zipfile.ZipFile(os.path.join(out, wheels[0])) as wheel:
        members = [n for n in wheel.namelist() if n.endswith("_libwasmtime.so")]
        if not members:
            return None, f"no _libwasmtime.so in {wheels[0]}"
        with wheel.open(members[0]) as src, open(lib + ".tmp", "wb") as dst:
            shutil.copyfileobj(src, dst)
    os.replace(lib + ".tmp", lib)
    return out, None


def build_host(name, include_dir, lib_dir, lib_name):
    """Builds bench_host against one runtime; returns (path, None) or (None, error)."""
    out = os.path.join(BUILD, f"bench_host-{name}")
    cc = os.environ.get("CC", "cc")
    args = [cc, *HOST_CFLAGS, "-I", include_dir, "-o", out, os.path.join(HERE, "host", "bench_host.c"),
            "-L", lib_dir, f"-l{lib_name}", f"-Wl,-rpath,{lib_dir}"]
    ok, output = run_tool(args, log_path=os.path.join(BUILD, f"bench_host-{name}.log"))
    if not ok:
        return None, f"host does not build against {os.path.relpath(include_dir, ROOT)}/wasm.h: " \
                     + first_error_line(output)
    return out, None


def build_kernels(names):
    """Returns {kernel: {"wasm": path or None, "native": path or None, ...}}.
    SIMD rows also get "scalar_wasm" (the same source without SIMD, -O2) and
    "native_avx2"; their "native" is the -O3 -msse4.2 build."""
    out = os.path.join(BUILD, "kernels")
    os.makedirs(out, exist_ok=True)
    src = os.path.join(HERE, "kernels")
    built = {}

    def build(entry, key, command, what):
        ok, output = run_tool(command)
        if not ok:
            entry[key], entry[f"{key}_error"] = None, f"{what} build failed: " + first_error_line(output)

    for k in names:
        simd = is_simd_kernel(k)
        source_name = k[:-len(AUTOVEC_SUFFIX)] if k.endswith(AUTOVEC_SUFFIX) else k
        source = os.path.join(src, f"{source_name}.c")
        native_main = os.path.join(src, "native_main.c")
        stem = os.path.join(out, k.replace("+", "-"))
        entry = {"wasm": f"{stem}.wasm", "native": f"{stem}-native", "wasm_error": None,
                 "native_error": None}
        if not simd:
            build(entry, "wasm", ["clang", *WASM_CFLAGS, "-o", entry["wasm"], source], "wasm")
            build(entry, "native", ["clang", *NATIVE_CFLAGS, "-o", entry["native"], source,
                                    native_main], "native")
        else:
            entry.update({"scalar_wasm": f"{stem}-scalar.wasm", "scalar_wasm_error": None,
                          "native_avx2": f"{stem}-native-avx2", "native_avx2_error": None})
            build(entry, "wasm", ["clang", *WASM_SIMD_CFLAGS, "-o", entry["wasm"], source], "wasm")
            build(entry, "scalar_wasm", ["clang", *WASM_CFLAGS, "-o", entry["scalar_wasm"], source],
                  "scalar wasm")
            build(entry, "native", ["clang", *NATIVE_SSE42_CFLAGS, "-o", entry["native"], source,
                                    native_main], "native")
            build(entry, "native_avx2", ["clang", *NATIVE_AVX2_CFLAGS, "-o", entry["native_avx2"],
                                         source, native_main], "native AVX2")
        built[k] = entry
    return built


# Iterations of the exceptions variants: calls (plain and inside a
# try_table) and throws caught THROW_DEPTH frames up (against returns).
EXN_CALLS = 20_000_000
EXN_THROWS = 200_000


def build_variants():
    """Returns [(label, base build, variant build, BENCH_WASM_FEATURES)]: each
    build a path, or an error string."""
    out = os.path.join(BUILD, "kernels")
    os.makedirs(out, exist_ok=True)
    src = os.path.join(HERE, "kernels")

    def build(name, flags, suffix):
        path = os.path.join(out, f"{name}{suffix}.wasm")
        ok, output = run_tool(["clang", *flags, "-o", path, os.path.join(src, f"{name}.c")])
        return path if ok else "build failed: " + first_error_line(output)

    pairs = [(f"{k} wasm64/wasm32", build(k, WASM_CFLAGS, ""), build(k, WASM64_CFLAGS, "-wasm64"),
              "memory64") for k in WASM64_KERNELS]
    pairs.append((f"{ATOMIC_KERNEL} atomic/plain", build(ATOMIC_KERNEL, WASM_CFLAGS, ""),
                  build(ATOMIC_KERNEL, ATOMIC_CFLAGS, "-atomic"), "threads"))

    def generated(variant, n):
        path = os.path.join(out, f"exceptions-{variant}.wasm")
        with open(path, "wb") as f:
            f.write(wasmgen.exceptions_kernel(variant, n))
        return path

    pairs.append((f"exceptions: call in try_table/plain call ({EXN_CALLS:,} calls)",
                  generated("plain", EXN_CALLS), generated("try", EXN_CALLS), "exceptions"))
    pairs.append((f"exceptions: throw/return across {wasmgen.THROW_DEPTH} frames "
                  f"({EXN_THROWS:,} each)", generated("return-deep", EXN_THROWS),
                  generated("throw-deep", EXN_THROWS), "exceptions"))
    return pairs


def run_variants(hosts, pairs, settings):
    """Each runtime on the base build and on the variant, interleaved."""
    results = {}
    for label, base, variant, features in pairs:
        log(f"variants {label}")
        row = {}
        for rt in RUNTIMES:
            host = hosts[rt]
            for key, path, env in (("base", base, None), ("variant", variant, features)):
                cell = f"{rt}_{key}"
                if isinstance(host, dict):
                    row[cell] = host
                elif not path.endswith(".wasm"):
                    row[cell] = {"ok": False, "error": path}
                else:
                    environment = dict(os.environ, BENCH_WASM_FEATURES=env) if env else None
                    row[cell] = measure([host, "exec", path, str(settings.exec_repeats)], 120,
                                        env=environment)
        summarize_times(row, settings)
        results[label] = row
    return results


def build_synthetic():
    out = os.path.join(BUILD, "modules")
    os.makedirs(out, exist_ok=True)
    modules = {
        "instantiate": wasmgen.initialised_module(1 << 20, 10_000, seed=1),
        "small": wasmgen.initialised_module(4096, 64, seed=2),
        "calls": wasmgen.calls_module(),
        "async_calls": wasmgen.async_calls_module(),
        "async_suspend": wasmgen.async_suspend_module(),
        # The smallest module: what instantiation costs with nothing to set up.
        "empty": b"\0asm\x01\0\0\0",
    }
    paths = {}
    for label, binary in modules.items():
        paths[label] = os.path.join(out, f"{label}.wasm")
        with open(paths[label], "wb") as f:
            f.write(binary)
    return paths


def fetch_npm_modules(modules):
    """Returns {label: path or error string}; tarballs are cached in build/npm."""
    out = os.path.join(BUILD, "npm")
    os.makedirs(out, exist_ok=True)
    fetched = {}
    for label, spec, member, _toolchain in modules:
        wasm = os.path.join(out, f"{label}.wasm")
        stamp = wasm + ".spec"
        if os.path.exists(wasm) and os.path.exists(stamp) and open(stamp).read() == spec:
            fetched[label] = wasm
            continue
        log(f"fetching {spec} from the npm registry")
        ok, output = run_tool(["npm", "pack", spec, "--pack-destination", out, "--json",
                               "--silent"], cwd=out)
        try:
            tarball = os.path.join(out, json.loads(output[output.index("["):])[0]["filename"])
        except (ValueError, IndexError, KeyError):
            fetched[label] = "npm pack failed: " + first_error_line(output)
            continue
        if not ok or not os.path.exists(tarball):
            fetched[label] = "npm pack failed: " + first_error_line(output)
            continue
        try:
            with tarfile.open(tarball) as tar:
                src = tar.extractfile(member)
                if src is None:
                    raise KeyError(member)
                with open(wasm, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        except (KeyError, tarfile.TarError) as e:
            fetched[label] = f"no {member} in {os.path.basename(tarball)}: {e}"
            continue
        with open(stamp, "w") as f:
            f.write(spec)
        fetched[label] = wasm
    return fetched


# ---- measuring --------------------------------------------------------------

def summarize_times(row, settings):
    """Replaces each successful cell's raw times (s) by wall and CPU
    statistics in ms, and `ms` by the clock the settings choose."""
    for r in row.values():
        if r.get("ok") and "times" in r:
            r["wall_ms"] = stats(r.pop("times"), 1e3)
            r["cpu_ms"] = stats(r.pop("cpu_times"), 1e3)
            r["ms"] = r[f"{settings.clock}_ms"]


def run_exec(hosts, kernels, settings):
    results = {}
    for k, entry in kernels.items():
        log(f"exec {k}")
        row = {}
        for rt in RUNTIMES:
            host = hosts[rt]
            if isinstance(host, dict):
                row[rt] = host
            elif entry["wasm"] is None:
                row[rt] = {"ok": False, "error": entry["wasm_error"]}
            else:
                row[rt] = measure([host, "exec", entry["wasm"], str(settings.exec_repeats)], 120)
        if "scalar_wasm" in entry:
            # Our runtime on the same source built without SIMD: the speedup.
            host = hosts["ours"]
            if isinstance(host, dict):
                row["ours_scalar"] = host
            elif entry["scalar_wasm"] is None:
                row["ours_scalar"] = {"ok": False, "error": entry["scalar_wasm_error"]}
            else:
                row["ours_scalar"] = measure([host, "exec", entry["scalar_wasm"],
                                              str(settings.exec_repeats)], 120)
        for col in ("native", "native_avx2"):
            if col not in entry:
                continue
            if entry[col] is None:
                row[col] = {"ok": False, "error": entry[f"{col}_error"]}
            else:
                row[col] = measure([entry[col], str(settings.exec_repeats)], 120)
        summarize_times(row, settings)
        results[k] = row
    return results


def run_compile(hosts, modules, settings):
    results = {}
    for label, spec, _member, toolchain in settings.npm_modules:
        path = modules.get(label)
        log(f"compile {label}")
        row = {"spec": spec, "toolchain": toolchain, "path": path}
        for rt in RUNTIMES:
            host = hosts[rt]
            if isinstance(host, dict):
                row[rt] = host
            elif not path or not os.path.exists(path):
                row[rt] = {"ok": False, "error": path or "module not fetched"}
            else:
                r = measure([host, "compile", path, str(settings.compile_repeats)], 600)
                if r.get("ok"):
                    r["wall_s"] = stats(r.pop("wall"))
                    r["cpu_s"] = stats(r.pop("cpu"))
                    r["mb_per_s"] = r["wasm_bytes"] / 1e6 / r["wall_s"]["median"]
                row[rt] = r
        results[label] = row
    return results


def run_instantiate(hosts, synthetic, settings, mode="instantiate", module="instantiate"):
    log(f"{mode} {module} x{settings.instances}")
    results = {}
    for rt in RUNTIMES:
        host = hosts[rt]
        if isinstance(host, dict):
            results[rt] = host
            continue
        r = measure([host, mode, synthetic[module], str(settings.instances)], 300)
        if r.get("ok"):
            # Each interval includes one pair of clock reads (the CPU clock
            # is a system call, about 0.6 us here): the host measures the
            # same pair with nothing between in the same loop, and its
            # median comes off every sample, in both runtimes alike.
            for suffix in ("", "_cpu"):
                overhead = statistics.median(r.pop(f"timer{suffix}"))
                r[f"timer{suffix or '_wall'}_us"] = overhead * 1e6
                for key in ("instantiate", "teardown"):
                    r[f"{key}{suffix}"] = [max(0.0, x - overhead) for x in r[f"{key}{suffix}"]]
            # Instantiate + drop: both timings of each instance summed.
            for suffix, clock in (("", "wall"), ("_cpu", "cpu")):
                cycle = [a + b for a, b in zip(r[f"instantiate{suffix}"], r[f"teardown{suffix}"])]
                r[f"cycle_{clock}_us"] = stats(cycle, 1e6)
            for key in ("instantiate", "teardown"):
                r[f"{key}_wall_us"] = stats(r.pop(key), 1e6)
                r[f"{key}_cpu_us"] = stats(r.pop(f"{key}_cpu"), 1e6)
            for key in ("instantiate", "teardown", "cycle"):
                r[f"{key}_us"] = r[f"{key}_{settings.clock}_us"]
        results[rt] = r
    return results


def run_instantiate_pooled(hosts, synthetic, settings):
    """Instantiate + drop with the pooling allocator, per module."""
    return {module: run_instantiate(hosts, synthetic, settings, "instantiate-pooled", module)
            for module in ("instantiate", "empty")}


def run_calls(hosts, synthetic, settings):
    log(f"calls x{settings.calls}")
    results = {}
    for rt in RUNTIMES:
        host = hosts[rt]
        if isinstance(host, dict):
            results[rt] = host
            continue
        r = measure([host, "calls", synthetic["calls"], str(settings.calls)], 300)
        if r.get("ok"):
            for key in ("host_to_wasm_nop", "host_to_wasm_i32", "wasm_to_host"):
                r[f"{key}_wall_ns"] = stats(r.pop(f"{key}_ns"))
                r[f"{key}_cpu_ns"] = stats(r.pop(f"{key}_cpu_ns"))
                r[f"{key}_ns"] = r[f"{key}_{settings.clock}_ns"]
        results[rt] = r
    return results


# The async section's measurements: (key, host/async_host.c mode, module,
# extra arguments, the per-batch series it reports).
ASYNC_FUEL_INTERVAL = 1000
ASYNC_MEASUREMENTS = [
    ("calls", "calls", "async_calls", [], ["sync", "async"]),
    ("suspend", "suspend", "async_suspend", [], ["round_trip"]),
    ("fuel", "fuel", "async_calls", [str(ASYNC_FUEL_INTERVAL)], ["per_yield"]),
]


def run_async(tools, synthetic, settings):
    """Each async measurement in each runtime (host/async_host.c), one
    process each; ns per operation, wall and CPU, per batch."""
    results = {}
    for key, mode, module, extra, series in ASYNC_MEASUREMENTS:
        log(f"async {key} ({settings.async_batches} batches of >= {settings.async_batch_s} s)")
        row = {}
        for rt in RUNTIMES:
            tool = tools[rt]
            if isinstance(tool, dict):
                row[rt] = tool
                continue
            r = measure([tool, mode, synthetic[module], str(settings.async_batches),
                         str(settings.async_batch_s), *extra], 300)
            if r.get("ok"):
                for name in series:
                    r[f"{name}_wall_ns"] = stats(r.pop(f"{name}_ns"))
                    r[f"{name}_cpu_ns"] = stats(r.pop(f"{name}_cpu_ns"))
                    r[f"{name}_ns"] = r[f"{name}_{settings.clock}_ns"]
            row[rt] = r
        results[key] = row
    return results


# The gc section's pause measurements, as host/gc_host.c reports them: the
# tree live, cleared just before the collection, nothing held.
GC_PAUSES = ["live", "cleared", "empty"]


def run_gc(tools, settings):
    """binary-trees and the collection pauses in each runtime
    (host/gc_host.c), one process each: {"trees": {runtime: ...},
    "pause": {runtime: ...}}."""
    results = {"trees": {}, "pause": {}}
    log(f"gc binary-trees depth {settings.gc_depth} x{settings.gc_runs}")
    for rt in RUNTIMES:
        tool = tools[rt]
        if isinstance(tool, dict):
            results["trees"][rt] = tool
            continue
        r = measure([tool, "trees", GC_MODULE, str(settings.gc_depth), str(settings.gc_runs)], 900)
        if r.get("ok"):
            times = {"wall": r.pop("times"), "cpu": r.pop("cpu_times")}
            for clock, samples in times.items():
                r[f"{clock}_ms"] = stats(samples, 1e3)
                # Allocations (struct.new executed) per second, in millions.
                r[f"{clock}_mallocs_per_s"] = stats([r["allocations"] / t / 1e6 for t in samples])
            r["ms"] = r[f"{settings.clock}_ms"]
            r["mallocs_per_s"] = r[f"{settings.clock}_mallocs_per_s"]
            # The high-water mark of the resident size over the runs, less
            # the size before them (the runtime and the instantiated module).
            r["peak_rss_growth_mib"] = (r["peak_rss_kib"] - r["rss_kib_before"]) / 1024
        results["trees"][rt] = r
    log(f"gc pauses, depth-{settings.gc_depth} tree, {settings.gc_pause_samples} collections each")
    for rt in RUNTIMES:
        tool = tools[rt]
        if isinstance(tool, dict):
            results["pause"][rt] = tool
            continue
        r = measure([tool, "pause", GC_MODULE, str(settings.gc_depth),
                     str(settings.gc_pause_samples)], 600)
        if r.get("ok"):
            # As for instantiation: the median of the clock reads with
            # nothing between comes off every sample.
            for suffix, clock in (("", "wall"), ("_cpu", "cpu")):
                overhead = statistics.median(r.pop(f"timer{suffix}"))
                r[f"timer_{clock}_us"] = overhead * 1e6
                for key in GC_PAUSES:
                    r[f"{key}_{clock}_us"] = stats([max(0.0, x - overhead)
                                                    for x in r.pop(f"{key}{suffix}")], 1e6)
            for key in GC_PAUSES:
                r[f"{key}_us"] = r[f"{key}_{settings.clock}_us"]
        results["pause"][rt] = r
    return results


def run_memory(hosts, synthetic, modules, settings):
    log("memory")
    results = {}
    module_path = modules.get(MEMORY_MODULE)
    for rt in RUNTIMES:
        host = hosts[rt]
        if isinstance(host, dict):
            results[rt] = {"module": host, "instances": host}
            continue
        if module_path and os.path.exists(module_path):
            module = measure([host, "memory-module", module_path], 300)
        else:
            module = {"ok": False, "error": module_path or "module not fetched"}
        instances = measure([host, "memory-instances", synthetic["small"],
                             str(settings.live_instances)], 300)
        if instances.get("ok"):
            instances["per_instance_kib"] = instances["instances_kib"] / instances["count"]
        results[rt] = {"module": module, "instances": instances}
    return results


# ---- start-up (WASI) --------------------------------------------------------

# The start-up section: WASI commands run as a command-line runner runs them,
# one process per run. Programs: a C hello world and sqlite3 (the amalgamation
# of the libsqlite3-sys dev-dependency, with tests/wasi-programs/sqlite/
# driver.c) on a small script, built to wasm32-wasi like tests/wasi_sqlite.rs
# builds them.
STARTUP_HELLO_C = """#include <stdio.h>

int main(void) {
  printf("hello, world\\n");
  return 0;
}
"""
STARTUP_HELLO_OUTPUT = "hello, world\n"
STARTUP_SQL = """CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO t SELECT i, printf('row-%03d', i) FROM n;
SELECT count(*), sum(id), max(name) FROM t;
"""
STARTUP_SQL_OUTPUT = "100|5050|row-100\n"
SQLITE_PACKAGE = "libsqlite3-sys"
SQLITE_DRIVER = os.path.join(ROOT, "tests", "wasi-programs", "sqlite", "driver.c")
SQLITE_WASI_FLAGS = [
    "--target=wasm32-wasi", "-O2",
    "-DSQLITE_THREADSAFE=0", "-DSQLITE_OMIT_LOAD_EXTENSION", "-DLONGDOUBLE_TYPE=double",
    "-D_WASI_EMULATED_MMAN", "-D_WASI_EMULATED_GETPID", "-D_WASI_EMULATED_SIGNAL",
    "-D_WASI_EMULATED_PROCESS_CLOCKS", "-lwasi-emulated-mman", "-lwasi-emulated-getpid",
    "-lwasi-emulated-signal", "-lwasi-emulated-process-clocks",
]
# Who runs the programs: our runtime and the reference through the same C
# host (host/wasi_host.c), and our command-line runner (cli/wasm-runtime.c).
STARTUP_RUNNERS = ["ours", "wasmtime", "ours_cli"]
STARTUP_PHASES = ["load", "setup", "instantiate", "run", "teardown"]
# (label, program, precompiled)
STARTUP_CASES = [
    ("hello: compile + run", "hello", False),
    ("hello: precompiled", "hello", True),
    ("sqlite: compile + run", "sqlite", False),
    ("sqlite: precompiled", "sqlite", True),
]


def host_triple():
    ok, output = run_tool(["rustc", "-vV"])
    for line in output.splitlines() if ok else []:
        if line.startswith("host: "):
            return line[len("host: "):].strip()
    return None


def find_sqlite_source():
    """The amalgamation's directory, through cargo's metadata (which fetches
    the package if this checkout has not yet); returns (dir, None) or
    (None, error)."""
    args = ["cargo", "metadata", "--format-version", "1"]
    triple = host_triple()
    if triple:
        args += ["--filter-platform", triple]
    try:
        proc = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace")
    except OSError as e:
        return None, f"cargo metadata: {e}"
    if proc.returncode != 0:
        return None, "cargo metadata failed: " + first_error_line(proc.stderr)
    for package in json.loads(proc.stdout)["packages"]:
        if package["name"] == SQLITE_PACKAGE:
            source = os.path.join(os.path.dirname(package["manifest_path"]), "sqlite3")
            if os.path.exists(os.path.join(source, "sqlite3.c")):
                return source, None
            return None, f"no sqlite3/sqlite3.c in {SQLITE_PACKAGE}"
    return None, f"{SQLITE_PACKAGE} is not a dependency (see Cargo.toml)"


def file_digest(paths, extra):
    digest = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            digest.update(f.read())
    digest.update(json.dumps(extra).encode())
    return digest.hexdigest()[:16]


def build_wasi_programs():
    """Returns {program: path or error string}; the sqlite build (about 20 s)
    is kept under a hash of its sources and flags."""
    out = os.path.join(BUILD, "startup")
    os.makedirs(out, exist_ok=True)
    built = {}
    hello_c = os.path.join(out, "hello.c")
    with open(hello_c, "w") as f:
        f.write(STARTUP_HELLO_C)
    hello = os.path.join(out, "hello.wasm")
    ok, output = run_tool(["clang", "--target=wasm32-wasi", "-O2", "-Wall", "-Wextra", "-o", hello,
                           hello_c])
    built["hello"] = hello if ok else "clang --target=wasm32-wasi failed (apt-get install " \
                                      "wasi-libc): " + first_error_line(output)
    source, error = find_sqlite_source()
    if error:
        built["sqlite"] = error
        return built
    sources = [os.path.join(source, "sqlite3.c"), SQLITE_DRIVER]
    _, clang_version = run_tool(["clang", "--version"])
    flags = SQLITE_WASI_FLAGS + ["-I", source]
    sqlite = os.path.join(out, f"sqlite-{file_digest(sources, [flags, clang_version])}.wasm")
    if not os.path.exists(sqlite):
        log("building sqlite3 + driver.c to wasm32-wasi (about 20 s)")
        ok, output = run_tool(["clang", *flags, "-o", sqlite + ".partial", *sources])
        if not ok:
            built["sqlite"] = "sqlite build failed: " + first_error_line(output)
            return built
        os.replace(sqlite + ".partial", sqlite)
    built["sqlite"] = sqlite
    return built


def build_runtime_host(stem, name, include_dir, lib_dir, lib_name, defines):
    """Builds host/<stem>.c (wasi_host, async_host, gc_host) against one runtime;
    (path, None) or (None, error)."""
    out = os.path.join(BUILD, f"{stem}-{name}")
    cc = os.environ.get("CC", "cc")
    args = [cc, *HOST_CFLAGS, *defines, "-I", include_dir, "-o", out,
            os.path.join(HERE, "host", f"{stem}.c"), "-L", lib_dir, f"-l{lib_name}",
            f"-Wl,-rpath,{lib_dir}"]
    ok, output = run_tool(args, log_path=os.path.join(BUILD, f"{stem}-{name}.log"))
    if not ok:
        return None, f"{stem} does not build: " + first_error_line(output)
    return out, None


def build_runtime_hosts(stem, ours_dir, wasmtime_dir):
    """host/<stem>.c for both runtimes: {runtime: path or an unavailable
    result}. Ours against include/, the reference with -DBENCH_REFERENCE
    against host/wasmtime-abi/."""
    tools = {}
    for rt, lib_dir, include_dir, lib_name, defines, missing in (
            ("ours", ours_dir, os.path.join(ROOT, "include"), "wasm_runtime", [],
             "our library did not build"),
            ("wasmtime", wasmtime_dir, os.path.join(HERE, "host", "wasmtime-abi"), "wasmtime",
             ["-DBENCH_REFERENCE"], "the reference library was not fetched")):
        path, error = (None, missing) if not lib_dir else \
            build_runtime_host(stem, rt, include_dir, lib_dir, lib_name, defines)
        tools[rt] = {"ok": False, "unavailable": True, "error": error} if error else path
    return tools


def build_cli(ours_dir):
    """Our command-line runner, cli/*.c against our library; (path, None) or
    (None, error)."""
    cli_dir = os.path.join(ROOT, "cli")
    sources = sorted(os.path.join(cli_dir, f) for f in os.listdir(cli_dir) if f.endswith(".c")) \
        if os.path.isdir(cli_dir) else []
    if not sources:
        return None, "no cli/*.c in this checkout"
    out = os.path.join(BUILD, "wasm-runtime")
    cc = os.environ.get("CC", "cc")
    args = [cc, *HOST_CFLAGS, "-I", os.path.join(ROOT, "include"), "-I", cli_dir, "-o", out,
            *sources, "-L", ours_dir, "-lwasm_runtime", f"-Wl,-rpath,{ours_dir}"]
    ok, output = run_tool(args, log_path=os.path.join(BUILD, "wasm-runtime-cli.log"))
    if not ok:
        return None, "cli does not build: " + first_error_line(output)
    return out, None


def startup_command(runner, tool, program, precompiled, data_dir):
    """The command line that runs `program` (a path) under one runner."""
    dirs = ["--dir", f"{data_dir}::/data"] if data_dir else []
    if runner == "ours_cli":
        return [tool, "run", *(["--allow-precompiled"] if precompiled else []), *dirs, program]
    return [tool, "run", *(["--precompiled"] if precompiled else []), *dirs, program]


def precompile(runner, tool, wasm, out):
    """Writes the runner's serialized module for `wasm`; None or an error."""
    if runner == "ours_cli":
        args = [tool, "compile", wasm, "-o", out]
    else:
        args = [tool, "compile", wasm, out]
    ok, output = run_tool(args)
    if not ok or not os.path.exists(out):
        return "precompiling failed: " + first_error_line(output)
    return None


def run_startup(tools, programs, settings):
    """Each case in each runner, the runners interleaved run by run; wall and
    CPU time of the whole process, and the C host's phases."""
    out = os.path.join(BUILD, "startup")
    data = os.path.join(out, "data")
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "bench.sql"), "w") as f:
        f.write(STARTUP_SQL)
    times_path = os.path.join(out, "phases.json")
    guest_args = {"hello": [], "sqlite": ["/data/bench.db", "/data/bench.sql"]}
    expected = {"hello": STARTUP_HELLO_OUTPUT, "sqlite": STARTUP_SQL_OUTPUT}

    def reset():
        for name in ("bench.db", "bench.db-journal"):
            if os.path.exists(os.path.join(data, name)):
                os.remove(os.path.join(data, name))

    # Each runner's serialized modules, made once.
    serialized = {}
    for rt in STARTUP_RUNNERS:
        for program, wasm in programs.items():
            if isinstance(tools[rt], dict) or not wasm.endswith(".wasm"):
                continue
            path = os.path.join(out, f"{program}.{rt}.cwasm")
            serialized[(rt, program)] = precompile(rt, tools[rt], wasm, path) or path

    def run_once(rt, args, program):
        reset()
        env = dict(os.environ, WASI_HOST_TIMES=times_path) if rt != "ours_cli" else None
        if os.path.exists(times_path):
            os.remove(times_path)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        try:
            proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                  text=True, errors="replace", timeout=300)
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": "timeout after 300 s"}
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0 or proc.stdout != expected[program]:
            tail = proc.stderr.strip().splitlines()[-1:] or [repr(proc.stdout[:60])]
            what = f"exit {proc.returncode}" if proc.returncode else "wrong output"
            if proc.returncode < 0:
                what = "crashed: " + signal.Signals(-proc.returncode).name
            return {"ok": False, "error": f"{what}: {tail[0]}"}
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        phases = None
        if env and os.path.exists(times_path):
            with open(times_path) as f:
                phases = json.load(f)
        return {"ok": True, "wall": wall, "cpu": cpu, "phases": phases}

    results = {}
    for label, program, precompiled in STARTUP_CASES:
        log(f"startup {label} x{settings.startup_runs}")
        row, samples, commands = {}, {}, {}
        for rt in STARTUP_RUNNERS:
            wasm = programs.get(program)
            if isinstance(tools[rt], dict):
                row[rt] = tools[rt]
                continue
            if not wasm or not wasm.endswith(".wasm"):
                row[rt] = {"ok": False, "error": wasm or "not built"}
                continue
            target = wasm
            if precompiled:
                target = serialized[(rt, program)]
                if not target.endswith(".cwasm"):
                    row[rt] = {"ok": False, "error": target}
                    continue
            commands[rt] = startup_command(rt, tools[rt], target, precompiled,
                                           data if program == "sqlite" else None) \
                + guest_args[program]
            # One untimed run checks the output and warms the file cache.
            first = run_once(rt, commands[rt], program)
            if not first["ok"]:
                row[rt] = first
                del commands[rt]
                continue
            samples[rt] = []
        for _ in range(settings.startup_runs):
            for rt in list(commands):
                r = run_once(rt, commands[rt], program)
                if not r["ok"]:
                    row[rt] = r
                    del commands[rt]
                    continue
                samples[rt].append(r)
        for rt, runs in samples.items():
            if rt in row:
                continue
            r = {"ok": True, "runs": len(runs),
                 "wall_ms": stats([s["wall"] for s in runs], 1e3),
                 "cpu_ms": stats([s["cpu"] for s in runs], 1e3)}
            if runs and all(s["phases"] for s in runs):
                r["phases_ms"] = {p: statistics.median(s["phases"][p] for s in runs) * 1e3
                                  for p in STARTUP_PHASES}
            row[rt] = r
        results[label] = row
    reset()
    return results


# ---- reporting --------------------------------------------------------------

def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def cell_error(result):
    if result.get("unavailable"):
        return "not measured"
    message = str(result.get("error", "failed")).replace("|", "/").replace("\n", " ")
    if len(message) > 70:
        message = message[:67] + "..."
    return f"error: {message}"


def fmt_num(v):
    if v is None:
        return "–"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def fmt_stats(result, key):
    if not result.get("ok"):
        return cell_error(result)
    s = result[key]
    return f"{fmt_num(s['median'])} [{fmt_num(s['min'])}–{fmt_num(s['max'])}]"


def median_of(result, key):
    if result and result.get("ok"):
        v = result[key]
        return v["median"] if isinstance(v, dict) else v
    return None


def ratio(a, b):
    return a / b if a is not None and b is not None and b > 0 else None


def fmt_ratio(v):
    return "–" if v is None else f"{v:.2f}"


def fmt_geomean(values, formatter=fmt_num):
    present = [v for v in values if v is not None]
    g = geomean(present)
    if g is None:
        return "–"
    text = formatter(g)
    return text if len(present) == len(values) else f"{text} ({len(present)}/{len(values)})"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "--:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def headline_metrics(results, runtime):
    """The medians a before/after comparison looks at, as {label: value}."""
    metrics = {}

    def put(label, result, key):
        value = median_of(result, key) if isinstance(result, dict) else None
        if value is not None:
            metrics[label] = value
    for k, row in results.get("execution", {}).items():
        put(f"exec {k} (ms)", row.get(runtime), "ms")
    for m, row in results.get("compilation", {}).items():
        put(f"compile {m} wall (s)", row.get(runtime), "wall_s")
        put(f"compile {m} CPU (s)", row.get(runtime), "cpu_s")
        put(f"compile {m} code (bytes)", row.get(runtime), "code_bytes")
    inst = results.get("instantiation", {}).get(runtime)
    put("instantiate (µs)", inst, "instantiate_us")
    put("teardown (µs)", inst, "teardown_us")
    for module, row in results.get("instantiation_pooled", {}).items():
        put(f"pooled instantiate + drop {module} (µs)", row.get(runtime), "cycle_us")
    calls = results.get("calls", {}).get(runtime)
    for key in ("host_to_wasm_nop_ns", "host_to_wasm_i32_ns", "wasm_to_host_ns"):
        put(f"calls {key[:-3].replace('_', ' ')} (ns)", calls, key)
    for measurement, key, label in (("calls", "sync_ns", "sync call"),
                                    ("calls", "async_ns", "async call"),
                                    ("suspend", "round_trip_ns", "suspend/resume round trip"),
                                    ("fuel", "per_yield_ns", "fuel yield")):
        put(f"async: {label} (ns)", results.get("async", {}).get(measurement, {}).get(runtime),
            key)
    gc = results.get("gc", {})
    put("gc binary-trees (ms)", gc.get("trees", {}).get(runtime), "ms")
    for key in GC_PAUSES:
        put(f"gc pause {key} (µs)", gc.get("pause", {}).get(runtime), f"{key}_us")
    mem = results.get("memory", {}).get(runtime, {})
    put("memory compiled module (KiB)", mem.get("module"), "module_kib")
    put("memory per instance (KiB)", mem.get("instances"), "per_instance_kib")
    for label, row in results.get("startup", {}).items():
        put(f"startup {label} (ms)", row.get(runtime), "wall_ms")
    return metrics


def report_compare(results, previous, previous_path):
    """Our medians now against an earlier results file; the reference's
    change alongside, as a measure of how much the machine itself moved."""
    ours_now, ours_then = headline_metrics(results, "ours"), headline_metrics(previous, "ours")
    ref_now, ref_then = headline_metrics(results, "wasmtime"), headline_metrics(previous, "wasmtime")
    header = ["metric", "ours before", "ours now", "now/before", "wasmtime now/before"]
    rows, changes = [], []
    for label, now in ours_now.items():
        then = ours_then.get(label)
        if then is None:
            continue
        changes.append(ratio(now, then))
        rows.append([label, fmt_num(then), fmt_num(now), fmt_ratio(changes[-1]),
                     fmt_ratio(ratio(ref_now.get(label), ref_then.get(label)))])
    if not rows:
        return f"### Change against {previous_path}\n\nNo metric measured in both runs."
    rows.append(["**geomean**", "", "", fmt_geomean(changes, fmt_ratio), ""])
    return (f"### Change against {previous_path}\n\nMedians of this run over those of "
            f"{previous.get('meta', {}).get('date', 'the earlier run')} (below 1: now "
            f"smaller, i.e. faster or leaner).\n\n" + table(header, rows))


def clock_words(settings):
    if settings.clock == "wall":
        return "wall time"
    return "CPU time of the calling thread, which is wall time minus time the core spent on other processes"


def report_exec(results, settings):
    header = ["kernel", "ours (ms)", "wasmtime (ms)", "native (ms)",
              "ours/wasmtime", "ours/native", "wasmtime/native"]
    rows, cols = [], {h: [] for h in header[1:]}
    for k, row in results.items():
        if is_simd_kernel(k):
            continue
        o, w, n = (median_of(row[c], "ms") for c in ("ours", "wasmtime", "native"))
        values = [o, w, n, ratio(o, w), ratio(o, n), ratio(w, n)]
        cells = [k, fmt_stats(row["ours"], "ms"), fmt_stats(row["wasmtime"], "ms"),
                 fmt_stats(row["native"], "ms")] + [fmt_ratio(v) for v in values[3:]]
        for h, v in zip(header[1:], values):
            cols[h].append(v)
        rows.append(cells)
    reports = []
    if rows:
        rows.append(["**geomean**"] + [fmt_geomean(cols[h], fmt_num if i < 3 else fmt_ratio)
                                       for i, h in enumerate(header[1:])])
        reports.append(
            f"### Execution\n\nTime per run of each kernel in ms ({clock_words(settings)}), "
            f"median [min–max] of {settings.exec_repeats} runs after one warm-up run; ratios of "
            f"medians (below 1: the first is faster).\n\n" + table(header, rows))
    simd = report_simd(results, settings)
    if simd:
        reports.append(simd)
    return "\n\n".join(reports)


def report_simd(results, settings):
    """The SIMD rows: both runtimes on the SIMD build, native -O3 for SSE4.2
    and for AVX2, and our runtime on the same source built without SIMD."""
    header = ["kernel", "ours (ms)", "wasmtime (ms)", "native SSE4.2 (ms)", "native AVX2 (ms)",
              "ours/wasmtime", "ours/native SSE4.2", "ours/native AVX2", "ours scalar build (ms)",
              "SIMD speedup"]
    rows, cols = [], {h: [] for h in header[1:]}
    for k, row in results.items():
        if not is_simd_kernel(k):
            continue
        o, w, n, a, sc = (median_of(row.get(c), "ms")
                          for c in ("ours", "wasmtime", "native", "native_avx2", "ours_scalar"))
        values = [o, w, n, a, ratio(o, w), ratio(o, n), ratio(o, a), sc, ratio(sc, o)]
        cells = [k] + [fmt_stats(row.get(c) or {}, "ms")
                       for c in ("ours", "wasmtime", "native", "native_avx2")]
        cells += [fmt_ratio(v) for v in values[4:7]]
        cells += [fmt_stats(row.get("ours_scalar") or {}, "ms"), fmt_ratio(values[8])]
        for h, v in zip(header[1:], values):
            cols[h].append(v)
        rows.append(cells)
    if not rows:
        return None
    formats = [fmt_num] * 4 + [fmt_ratio] * 3 + [fmt_num, fmt_ratio]
    rows.append(["**geomean**"] + [fmt_geomean(cols[h], f) for h, f in zip(header[1:], formats)])
    return (f"### SIMD execution\n\nThe SIMD kernels (wasm_simd128.h intrinsics: "
            f"{', '.join(SIMD_KERNELS)}) and clang's autovectorisation of scalar kernels "
            f"(`{AUTOVEC_SUFFIX}`), built with clang -O3 -msimd128; native columns are the same "
            f"source at -O3 -msse4.2 and -O3 -mavx2; the scalar build is the same source "
            f"without SIMD (-O2) in our runtime, and the speedup is its time over the SIMD "
            f"build's. Times in ms ({clock_words(settings)}), median [min–max] of "
            f"{settings.exec_repeats} runs after one warm-up run.\n\n" + table(header, rows))


def report_variants(results, settings):
    header = ["kernel", "ours base (ms)", "ours variant (ms)", "ours ratio",
              "wasmtime base (ms)", "wasmtime variant (ms)", "wasmtime ratio"]
    rows = []
    groups = {"wasm64": ([], []), "atomic": ([], []), "exceptions": ([], [])}
    for label, row in results.items():
        cells, ratios = [label], []
        for rt in RUNTIMES:
            b, v = median_of(row[f"{rt}_base"], "ms"), median_of(row[f"{rt}_variant"], "ms")
            cells += [fmt_stats(row[f"{rt}_base"], "ms"), fmt_stats(row[f"{rt}_variant"], "ms"),
                      fmt_ratio(ratio(v, b))]
            ratios.append(ratio(v, b))
        kind = next((k for k in ("wasm64", "exceptions") if k in label), "atomic")
        group = groups[kind]
        for i, r in enumerate(ratios):
            group[i].append(r)
        rows.append(cells)
    if not rows:
        return ""
    ours64, ref64 = groups["wasm64"]
    rows.append(["**geomean wasm64/wasm32**", "", "", fmt_geomean(ours64, fmt_ratio), "", "",
                 fmt_geomean(ref64, fmt_ratio)])
    return (f"### Variants: bounds checks and atomics\n\nEach runtime on a kernel's base build "
            f"and on a variant of the same source: `wasm64` is the kernel built with "
            f"--target=wasm64 (a memory64 memory, so every access is bounds-checked "
            f"explicitly instead of by guard pages) against its wasm32 build; `atomic` is "
            f"kernels/histogram.c built with -matomics on a shared memory (every update an "
            f"atomic read-modify-write, every read an atomic load; one thread, uncontended) "
            f"against its plain build; `exceptions` are generated kernels (benches/wasmgen.py): "
            f"a call made inside a try_table whose catch_all is never taken against the same "
            f"plain call, and an exception thrown {wasmgen.THROW_DEPTH} frames below the "
            f"try_table that catches it against the same chain of calls returning normally "
            f"(variant time / {EXN_THROWS:,} = time per throw and catch). Times in ms ({clock_words(settings)}), median "
            f"[min–max] of {settings.exec_repeats} runs; ratio = variant / base (above 1: the "
            f"variant is slower).\n\n" + table(header, rows))


def report_compile(results, settings):
    header = ["module", "wasm size", "ours wall (s)", "wasmtime wall (s)", "ours/wasmtime",
              "ours CPU (s)", "wasmtime CPU (s)", "ours/wasmtime CPU", "ours MB/s", "wasmtime MB/s"]
    size_header = ["module", "wasm size", "ours code", "wasmtime code", "ours/wasmtime",
                   "ours serialized", "wasmtime serialized"]
    rows, size_rows = [], []
    walls, cpus, sizes = [], [], []
    for label, row in results.items():
        o, w = row["ours"], row["wasmtime"]
        path = row.get("path")
        wasm_bytes = os.path.getsize(path) if path and os.path.exists(path) else None
        size = f"{wasm_bytes / 1e6:.2f} MB" if wasm_bytes else "–"
        name = f"{label} ({row['toolchain']})"
        ow, ww = median_of(o, "wall_s"), median_of(w, "wall_s")
        oc, wc = median_of(o, "cpu_s"), median_of(w, "cpu_s")
        walls.append(ratio(ow, ww))
        cpus.append(ratio(oc, wc))
        rows.append([name, size, fmt_stats(o, "wall_s"), fmt_stats(w, "wall_s"), fmt_ratio(walls[-1]),
                     fmt_stats(o, "cpu_s"), fmt_stats(w, "cpu_s"), fmt_ratio(cpus[-1]),
                     fmt_num(o.get("mb_per_s")) if o.get("ok") else cell_error(o),
                     fmt_num(w.get("mb_per_s")) if w.get("ok") else cell_error(w)])
        code = [r.get("code_bytes") if r.get("ok") else None for r in (o, w)]
        ser = [r.get("serialized_bytes") if r.get("ok") else None for r in (o, w)]
        sizes.append(ratio(*code) if all(code) else None)

        def size_cell(r, v):
            if not r.get("ok"):
                return cell_error(r)
            return f"{v / 1e6:.2f} MB" if v else "–"
        size_rows.append([name, size, size_cell(o, code[0]), size_cell(w, code[1]), fmt_ratio(sizes[-1]),
                          size_cell(o, ser[0]), size_cell(w, ser[1])])
    rows.append(["**geomean**", "", "", "", fmt_geomean(walls, fmt_ratio), "", "",
                 fmt_geomean(cpus, fmt_ratio), "", ""])
    size_rows.append(["**geomean**", "", "", "", fmt_geomean(sizes, fmt_ratio), "", ""])
    return (f"### Compilation\n\n`wasm_module_new` of real-world modules from the npm registry, "
            f"default configuration (parallel compilation), a fresh engine each time; median "
            f"[min–max] of {settings.compile_repeats}. CPU is the process's CPU time over all "
            f"threads; MB/s is wasm bytes per second of wall time.\n\n" + table(header, rows)
            + "\n\nCode size: executable memory that `wasm_module_new` mapped (machine code, "
              "page-rounded, read from /proc/self/maps). Serialized: the length of "
              "`wasm_module_serialize`'s output, whatever each runtime puts in it.\n\n"
            + table(size_header, size_rows))


def timer_words(results, settings):
    """What the instantiation tables say about the clock reads taken off."""
    key = f"timer_{settings.clock}_us"
    each = [results[rt].get(key) for rt in RUNTIMES if isinstance(results.get(rt), dict)]
    each = [x for x in each if x is not None]
    if not each:
        return "clock overhead not measured"
    return (f"less the cost of the clock reads around each interval (measured in the same "
            f"loop with nothing between them: {max(each):.2f} µs at most)")


def report_instantiate(results, settings):
    header = ["per instance (µs)", "ours", "wasmtime", "ours/wasmtime"]
    rows = []
    for key, label in (("instantiate_us", "`wasm_instance_new`"),
                       ("teardown_us", "`wasm_instance_delete` + `wasm_store_delete`")):
        o, w = results["ours"], results["wasmtime"]
        rows.append([label, fmt_stats(o, key), fmt_stats(w, key),
                     fmt_ratio(ratio(median_of(o, key), median_of(w, key)))])
    return (f"### Instantiation\n\nA module with a 1 MiB data segment and a 10 000-entry "
            f"table filled by an element segment; {settings.instances} instances, each in a "
            f"fresh store; µs per instance ({clock_words(settings)}), median [min–max], "
            f"{timer_words(results, settings)}.\n\n"
            + table(header, rows))


def report_instantiate_pooled(results, settings):
    header = ["per instance (µs)", "ours", "wasmtime", "ours/wasmtime"]
    rows = []
    for module, label in (("instantiate", "1 MiB data + 10 000-entry table"),
                          ("empty", "empty module")):
        for key, what in (("instantiate_us", "`wasm_instance_new`"),
                          ("teardown_us", "delete instance + store"),
                          ("cycle_us", "**instantiate + drop**")):
            o, w = results[module]["ours"], results[module]["wasmtime"]
            rows.append([f"{label}: {what}", fmt_stats(o, key), fmt_stats(w, key),
                         fmt_ratio(ratio(median_of(o, key), median_of(w, key)))])
    return (f"### Instantiation with the pooling allocator\n\nBoth runtimes with pooling on "
            f"(100 instance, memory and table slots, memories up to 16 MiB, the rest at each "
            f"one's defaults), set through each one's C API; {settings.instances} instances of "
            f"each module, each in a fresh store; µs per instance ({clock_words(settings)}), "
            f"median [min–max], {timer_words(results['empty'], settings)}.\n\n"
            + table(header, rows))


def report_calls(results, settings):
    header = ["ns per call", "ours", "wasmtime", "ours/wasmtime"]
    rows = []
    for key, label in (("host_to_wasm_nop_ns", "host → wasm, `[] -> []`"),
                       ("host_to_wasm_i32_ns", "host → wasm, `[i32] -> [i32]`"),
                       ("wasm_to_host_ns", "wasm → host, `[] -> []`")):
        o, w = results["ours"], results["wasmtime"]
        rows.append([label, fmt_stats(o, key), fmt_stats(w, key),
                     fmt_ratio(ratio(median_of(o, key), median_of(w, key)))])
    return (f"### Calls\n\nHost → wasm through `wasm_func_call`; wasm → host from a wasm "
            f"loop calling an imported `wasm_func_new` function. Batches of "
            f"{settings.calls:,} calls, median [min–max] of 7 batches "
            f"({clock_words(settings)}).\n\n" + table(header, rows))


def report_async(results, settings):
    header = ["ns per operation", "ours", "wasmtime", "ours/wasmtime"]
    rows = []

    def row(label, key, measurement):
        o, w = results[measurement]["ours"], results[measurement]["wasmtime"]
        rows.append([label, fmt_stats(o, key), fmt_stats(w, key),
                     fmt_ratio(ratio(median_of(o, key), median_of(w, key)))])
    row("host → wasm `f: [i32] -> [i32]`, sync (default engine)", "sync_ns", "calls")
    row("host → wasm `f`, async: call + poll to completion + delete", "async_ns", "calls")
    calls = results["calls"]
    within = [fmt_ratio(ratio(median_of(calls[rt], "async_ns"), median_of(calls[rt], "sync_ns")))
              for rt in RUNTIMES]
    rows.append(["async/sync, within each runtime", *within, "–"])
    row("suspend/resume round trip (an async host function's call)", "round_trip_ns", "suspend")
    row(f"fuel yield, every {ASYNC_FUEL_INTERVAL:,} units: extra time per yield", "per_yield_ns",
        "fuel")
    yields = [f"{results['fuel'][rt]['yields'] / results['fuel'][rt]['iterations'] * 1e3:.2f}"
              if results["fuel"][rt].get("ok") else cell_error(results["fuel"][rt])
              for rt in RUNTIMES]
    return (f"### Async calls\n\nThrough one C host (benches/host/async_host.c) over each "
            f"runtime's async C API: ours `wasm_func_call_async`, `wasm_call_future_poll`/"
            f"`_delete`, `wasm_linker_define_async_func`, "
            f"`wasm_store_fuel_async_yield_interval`; the reference's `wasmtime_*` "
            f"equivalents. Sync calls: `wasm_func_call` (ours) and `wasmtime_func_call` (the "
            f"reference) on the default engine; async calls on an engine with async support "
            f"(ours: `wasm_config_async_support_set`; the reference: "
            f"`wasmtime_config_async_support_set` where its library has it, which 50.x does "
            f"not: its default engine takes async calls), instantiated with the async linker "
            f"call. The round trip: one async call of a wasm loop calling an async host "
            f"function n times, whose continuation reports not done once, then done (so every "
            f"host call suspends the call once, and the host polls again at once): time of the "
            f"call / n. The fuel yield: an async call of a counting loop with fuel on, yielding "
            f"every {ASYNC_FUEL_INTERVAL:,} units of fuel, against the same call without "
            f"yields: the difference / the yields (per 1000 loop iterations: ours {yields[0]}, "
            f"the reference {yields[1]}). Results checked (values returned, suspensions and "
            f"yields counted). Batches of at least {settings.async_batch_s} s each, median "
            f"[min–max] of {settings.async_batches} ({clock_words(settings)}).\n\n"
            + table(header, rows))


def report_gc(results, settings):
    header = ["GC", "ours", "wasmtime", "ours/wasmtime"]
    rows = []
    trees, pause = results["trees"], results["pause"]
    depth = settings.gc_depth
    allocations = next((trees[rt]["allocations"] for rt in RUNTIMES if trees[rt].get("ok")), None)
    live = next((pause[rt]["live_nodes"] for rt in RUNTIMES if pause[rt].get("ok")), None)

    def cell(r, key):
        if r.get("ok") and not isinstance(r[key], dict):
            return fmt_num(r[key])
        return fmt_stats(r, key)

    def row(label, measurement, key):
        o, w = measurement["ours"], measurement["wasmtime"]
        r = ratio(median_of(o, key), median_of(w, key))
        rows.append([label, cell(o, key), cell(w, key),
                     f"{r:.0f}" if r is not None and r >= 100 else fmt_ratio(r)])

    def count(n):
        return "?" if n is None else f"{n:,}"
    row(f"binary-trees depth {depth}, ms per run", trees, "ms")
    row("allocation throughput, million struct.new/s (above 1: ours higher)", trees,
        "mallocs_per_s")
    row("peak resident size over the runs, less that before them, MiB", trees,
        "peak_rss_growth_mib")
    row(f"full collection, depth-{depth} tree live in a global, µs", pause, "live_us")
    row("clear the global + the first full collection after it, µs", pause, "cleared_us")
    row("full collection, nothing held, µs", pause, "empty_us")
    collectors = {rt: (trees[rt].get("collector") if trees[rt].get("ok") else None)
                  for rt in RUNTIMES}
    return (f"### GC\n\nThrough one C host (benches/host/gc_host.c) on "
            f"benches/gc/binary_trees.wat (struct `$node` with two `(ref null $node)` fields), "
            f"translated by each runtime's own wat2wasm; function references and GC on, ours "
            f"with the `{collectors['ours'] or 'auto'}` collector, the reference with "
            f"`{collectors['wasmtime'] or 'default (drc)'}` (its 50.x library exports no "
            f"collector setter; its default is DRC, deferred reference counting). "
            f"binary-trees: the Benchmarks Game's, n = {depth} (a stretch tree of depth "
            f"{depth + 1}, a long-lived tree of depth {depth}, 2^({depth} - d + 4) trees of "
            f"each depth d = 4, 6, ..., {depth}, each built and its nodes counted), "
            f"{count(allocations)} struct.new per run, the "
            f"node count each run returns checked; {settings.gc_runs} runs in one instance, "
            f"median [min–max]; throughput = struct.new / run time. Pauses: explicit full "
            f"collections (ours `wasm_store_gc`, the reference `wasmtime_context_gc`) with a "
            f"depth-{depth} tree ({count(live)} nodes) held in a "
            f"global (checked intact after them); `clear()` (the global set to null) and the "
            f"first collection after it, timed together (in both runtimes `clear()` itself "
            f"takes a few µs: the dead tree is freed in the collection); and collections with "
            f"nothing held. DRC's collection does not trace the live heap (reference counts "
            f"are kept as references are written), so it costs what it frees, not what is "
            f"live; the mark-sweep one marks every live node and sweeps the whole heap. "
            f"{settings.gc_pause_samples} "
            f"collections each, median [min–max] ({clock_words(settings)}), "
            f"{timer_words(pause, settings)}.\n\n" + table(header, rows))


def report_memory(results, settings):
    header = ["resident memory", "ours", "wasmtime", "ours/wasmtime"]
    o, w = results["ours"], results["wasmtime"]

    def cell(r, key, unit_div, unit):
        if not r.get("ok"):
            return cell_error(r)
        return f"{r[key] / unit_div:.1f} {unit}"

    def rel(a, b, key):
        return fmt_ratio(ratio(a.get(key) if a.get("ok") else None, b.get(key) if b.get("ok") else None))
    rows = [
        [f"compiled module ({MEMORY_MODULE}.wasm)", cell(o["module"], "module_kib", 1024, "MiB"),
         cell(w["module"], "module_kib", 1024, "MiB"), rel(o["module"], w["module"], "module_kib")],
        [f"{settings.live_instances} live instances, total", cell(o["instances"], "instances_kib", 1024, "MiB"),
         cell(w["instances"], "instances_kib", 1024, "MiB"), rel(o["instances"], w["instances"], "instances_kib")],
        ["per instance", cell(o["instances"], "per_instance_kib", 1, "KiB"),
         cell(w["instances"], "per_instance_kib", 1, "KiB"), rel(o["instances"], w["instances"], "per_instance_kib")],
    ]
    return ("### Memory\n\nGrowth of the process's resident set (after `malloc_trim`): compiling "
            "one module; instantiating a small module (1 page of memory, 4 KiB data segment, "
            f"64-entry table) {settings.live_instances} times, each in its own store, all kept "
            "alive.\n\n" + table(header, rows))


def report_startup(results, settings):
    header = ["program, start", "ours (ms)", "wasmtime (ms)", "ours/wasmtime", "ours CLI (ms)",
              "CLI/wasmtime", "CPU ours/wasmtime (ms)"]
    rows = []
    for label, row in results.items():
        o, w, c = (median_of(row.get(rt), "wall_ms") for rt in STARTUP_RUNNERS)
        oc, wc = (median_of(row.get(rt), "cpu_ms") for rt in ("ours", "wasmtime"))
        rows.append([label, fmt_stats(row["ours"], "wall_ms"),
                     fmt_stats(row["wasmtime"], "wall_ms"), fmt_ratio(ratio(o, w)),
                     fmt_stats(row["ours_cli"], "wall_ms"),
                     fmt_ratio(ratio(c, w)), f"{fmt_num(oc)} / {fmt_num(wc)}"])
    phase_header = ["program, start", "runtime"] + [f"{p} (ms)" for p in STARTUP_PHASES]
    phase_rows = []
    for label, row in results.items():
        for rt in ("ours", "wasmtime"):
            r = row.get(rt) or {}
            if r.get("ok") and "phases_ms" in r:
                phase_rows.append([label, rt]
                                  + [fmt_num(r["phases_ms"][p]) for p in STARTUP_PHASES])
    text = (f"### Start-up (WASI)\n\nA WASI command run once per process, as a command-line runner "
            f"runs it: a C hello world (printf) and sqlite3 3.46.0 with "
            f"tests/wasi-programs/sqlite/driver.c on a small script (create a table, insert 100 "
            f"rows, one aggregate query) in a preopened directory, both built with clang "
            f"--target=wasm32-wasi -O2. `compile + run` starts from the .wasm, `precompiled` from "
            f"the runner's own serialized module (deserialized from its file). ours and wasmtime: "
            f"the same C host (benches/host/wasi_host.c: engine, module, WASI context with "
            f"inherited stdio, argv and the preopen, linker with WASI, instantiate, `_start`, "
            f"teardown) over each runtime's C API in its default configuration; ours CLI: "
            f"`wasm-runtime run`. Wall time of the whole process, from spawn to exit, in ms, "
            f"median [min–max] of {settings.startup_runs} runs after one checked warm-up run, "
            f"the runners interleaved. The last column is the medians of the processes' CPU "
            f"time (user + system, all threads: compilation runs on several), which load from "
            f"other processes inflates less than wall time.\n\n" + table(header, rows))
    if phase_rows:
        text += ("\n\nWhere the C host's time goes (medians, wall ms): load = read + compile, or "
                 "deserialize; setup = WASI context + linker; run = `_start`; the rest of the "
                 "process time is the process itself (exec, dynamic loading, exit).\n\n"
                 + table(phase_header, phase_rows))
    return text


def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ok, commit = run_tool(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    ok2, clang = run_tool(["clang", "--version"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": f"{platform.system()} {platform.release()}",
        "commit": commit.strip() if ok else None,
        "wasmtime": WASMTIME_VERSION,
        "clang": clang.splitlines()[0] if ok2 else None,
    }


# ---- main -------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--kernels", default=",".join(ALL_KERNELS))
    parser.add_argument("--no-cargo", action="store_true")
    parser.add_argument("--json")
    parser.add_argument("--compare")
    parser.add_argument("--wall", action="store_true")
    args = parser.parse_args()
    sections = [s for s in args.only.split(",") if s]
    for s in sections:
        if s not in SECTIONS:
            parser.error(f"unknown section `{s}` (known: {', '.join(SECTIONS)})")
    kernels = [k for k in args.kernels.split(",") if k]
    for k in kernels:
        if k not in ALL_KERNELS:
            parser.error(f"unknown kernel `{k}` (known: {', '.join(ALL_KERNELS)})")
    previous = None
    if args.compare:
        with open(args.compare) as f:
            previous = json.load(f)
    settings = Settings(args.quick, args.wall)

    require_tools()
    os.makedirs(BUILD, exist_ok=True)
    hosts = {}
    ours_dir, error = build_ours(not args.no_cargo)
    if not error:
        path, error = build_host("ours", os.path.join(ROOT, "include"), ours_dir, "wasm_runtime")
    hosts["ours"] = {"ok": False, "unavailable": True, "error": error} if error else path
    wasmtime_dir, error = fetch_wasmtime()
    if not error:
        path, error = build_host("wasmtime", os.path.join(HERE, "host", "wasmtime-abi"),
                                 wasmtime_dir, "wasmtime")
    hosts["wasmtime"] = {"ok": False, "unavailable": True, "error": error} if error else path
    for rt in RUNTIMES:
        if isinstance(hosts[rt], dict):
            log(f"{rt}: not measured: {hosts[rt]['error']}")

    log("building kernels and synthetic modules")
    built_kernels = build_kernels(kernels) if "exec" in sections else {}
    synthetic = build_synthetic()
    modules = {}
    if "compile" in sections or "memory" in sections:
        wanted = list(settings.npm_modules)
        if "memory" in sections and MEMORY_MODULE not in [m[0] for m in wanted]:
            wanted += [m for m in NPM_MODULES if m[0] == MEMORY_MODULE]
        modules = fetch_npm_modules(wanted)
        for label, value in modules.items():
            if not value.endswith(".wasm"):
                log(f"{label}: {value}")

    startup_tools, startup_programs = {}, {}
    if "startup" in sections:
        log("building the WASI programs and hosts for the start-up section")
        startup_programs = build_wasi_programs()
        for label, value in startup_programs.items():
            if not value.endswith(".wasm"):
                log(f"startup {label}: {value}")
        startup_tools = build_runtime_hosts("wasi_host", ours_dir, wasmtime_dir)
        error = None if ours_dir else "our library did not build"
        if ours_dir:
            path, error = build_cli(ours_dir)
        startup_tools["ours_cli"] = {"ok": False, "unavailable": True, "error": error} if error \
            else path
        for rt, tool in startup_tools.items():
            if isinstance(tool, dict):
                log(f"startup: {rt} not measured: {tool['error']}")

    async_tools = {}
    if "async" in sections:
        log("building the hosts for the async section")
        async_tools = build_runtime_hosts("async_host", ours_dir, wasmtime_dir)
        for rt, tool in async_tools.items():
            if isinstance(tool, dict):
                log(f"async: {rt} not measured: {tool['error']}")

    gc_tools = {}
    if "gc" in sections:
        log("building the hosts for the gc section")
        gc_tools = build_runtime_hosts("gc_host", ours_dir, wasmtime_dir)
        for rt, tool in gc_tools.items():
            if isinstance(tool, dict):
                log(f"gc: {rt} not measured: {tool['error']}")

    measure_start = time.monotonic()
    load_at_start = os.getloadavg()[0]
    results = {"meta": machine_info()}
    results["meta"]["unavailable"] = {rt: h["error"] for rt, h in hosts.items() if isinstance(h, dict)}
    results["meta"]["settings"] = vars(settings) | {"quick": args.quick}
    results["meta"]["settings"]["npm_modules"] = [m[1] for m in settings.npm_modules]
    reports = []
    if "exec" in sections:
        results["execution"] = run_exec(hosts, built_kernels, settings)
        reports.append(report_exec(results["execution"], settings))
    if "compile" in sections:
        results["compilation"] = run_compile(hosts, modules, settings)
        reports.append(report_compile(results["compilation"], settings))
    if "instantiate" in sections:
        results["instantiation"] = run_instantiate(hosts, synthetic, settings)
        reports.append(report_instantiate(results["instantiation"], settings))
        results["instantiation_pooled"] = run_instantiate_pooled(hosts, synthetic, settings)
        reports.append(report_instantiate_pooled(results["instantiation_pooled"], settings))
    if "calls" in sections:
        results["calls"] = run_calls(hosts, synthetic, settings)
        reports.append(report_calls(results["calls"], settings))
    if "async" in sections:
        results["async"] = run_async(async_tools, synthetic, settings)
        reports.append(report_async(results["async"], settings))
    if "gc" in sections:
        results["gc"] = run_gc(gc_tools, settings)
        reports.append(report_gc(results["gc"], settings))
    if "memory" in sections:
        results["memory"] = run_memory(hosts, synthetic, modules, settings)
        reports.append(report_memory(results["memory"], settings))
    if "variants" in sections:
        results["variants"] = run_variants(hosts, build_variants(), settings)
        reports.append(report_variants(results["variants"], settings))
    if "startup" in sections:
        results["startup"] = run_startup(startup_tools, startup_programs, settings)
        reports.append(report_startup(results["startup"], settings))
    if previous:
        reports.append(report_compare(results, previous, args.compare))

    meta = results["meta"]
    meta["load_average"] = {"start": load_at_start, "end": os.getloadavg()[0]}
    print(f"Measured {meta['date']} on {meta['cpu']} ({meta['cores']} cores, {meta['os']}; "
          f"1-minute load average {load_at_start:.1f} at the start of measuring, "
          f"{meta['load_average']['end']:.1f} at the end), "
          f"commit {meta['commit']}, against Wasmtime {meta['wasmtime']} (its C library from "
          f"the `wasmtime` wheel); kernels built with {meta['clang']} (-O2; wasm32 without "
          f"SIMD; native for the baseline {platform.machine()} target; SIMD rows as their "
          f"table says).\n")
    for rt in RUNTIMES:
        if isinstance(hosts[rt], dict):
            print(f"**{rt} not measured**: {hosts[rt]['error']}\n")
    print("\n\n".join(reports))

    os.makedirs(os.path.join(BUILD, "results"), exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    paths = [os.path.join(BUILD, "results.json"), os.path.join(BUILD, "results", f"{stamp}.json")]
    if args.json:
        paths.append(args.json)
    for p in paths:
        with open(p, "w") as f:
            json.dump(results, f, indent=1)
    log(f"results written to {os.path.relpath(paths[0])} and {os.path.relpath(paths[1])}"
        + (f" and {args.json}" if args.json else ""))
    log(f"done in {time.monotonic() - START:.0f} s (building and fetching {measure_start - START:.0f} s, "
        f"measuring {time.monotonic() - measure_start:.0f} s)")


if __name__ == "__main__":
    main()
