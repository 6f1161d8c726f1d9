// A C++ host on include/wasm-runtime.hh: move-only RAII owners, Result
// values instead of error codes, and lambdas as host functions and epoch
// callbacks (their state is released by the runtime through the C
// finalizers).
//
// The plugin counts down, calling the host's `tick` for each step; the
// host's lambda sees its caller and reads a label from the plugin's
// memory, keeps its tally in the store's data, and traps past a limit.
// Then a store limiter caps the plugin's memory growth; a host tag goes
// both ways (the host's `check` throws it into the plugin, whose try_table
// catches it, and the plugin's `raise` throws it back out to the host,
// which reads its payload); and an epoch deadline callback stops a
// spinning function after three extensions.
//
// Built through CMake's find_package(WasmRuntime) (CMakeLists.txt next to
// it). Exits non-zero if anything behaves unexpectedly.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "wasm-runtime.hh"

namespace {

const char* const kWat = R"(
(module
  (import "host" "tick" (func $tick (param i32 i32 i32) (result i32)))
  (import "host" "too_big" (tag $too_big (param i32)))
  (import "host" "check" (func $check (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "step")
  (func (export "count") (param $n i32) (result i32)
    (local $total i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $total (i32.add (local.get $total)
          (call $tick (i32.const 8) (i32.const 4) (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    (local.get $total))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "spin") (loop $l (br $l)))
  ;; $n, or -$n when the host's check throws $too_big with it.
  (func (export "checked") (param $n i32) (result i32)
    (block $caught (result i32)
      (try_table (catch $too_big $caught)
        (call $check (local.get $n)))
      (return (local.get $n)))
    (local.set $n)
    (i32.sub (i32.const 0) (local.get $n)))
  (func (export "raise") (param i32) (throw $too_big (local.get 0))))
)";

// The host's data, owned by the store.
struct Tally {
  std::vector<int32_t> seen;
  ~Tally() { std::printf("store data released (%zu ticks seen)\n", seen.size()); }
};

int32_t first_i32(std::variant<std::vector<wasm_val_t>, wasmrt::Trap>& outcome) {
  return std::get<0>(outcome).at(0).of.i32;
}

int run() {
  wasmrt::Config config;
  config.set(wasm_config_epoch_interruption_set, true);
  wasmrt::Engine engine(std::move(config));
  wasmrt::Store store(engine);
  wasmrt::StoreRef controls = store.ref();
  controls.set_data(std::make_unique<Tally>());
  controls.set_epoch_deadline(1000000);

  wasmrt::Linker linker(engine);
  // tick(label_ptr, label_len, n): reads the label through the caller.
  linker
      .define_func("host", "tick", wasmrt::FuncType({WASM_I32, WASM_I32, WASM_I32}, {WASM_I32}),
                   [](wasmrt::Caller caller, wasmrt::Span<const wasm_val_t> args,
                      wasmrt::Span<wasm_val_t> results) -> std::optional<wasmrt::Trap> {
                     int32_t n = args[2].of.i32;
                     wasmrt::StoreRef store(caller.store());
                     if (n > 5) {
                       return wasmrt::Trap(
                           wasm_trap_new_code(store.get(), WASM_TRAP_CODE_INTEGER_OVERFLOW));
                     }
                     std::optional<wasmrt::Extern> memory = caller.export_get("memory");
                     if (!memory) {
                       return wasmrt::Trap(
                           wasm_trap_new_code(store.get(), WASM_TRAP_CODE_MEMORY_OUT_OF_BOUNDS));
                     }
                     wasmrt::Span<uint8_t> bytes = memory->memory_bytes();
                     std::string label(reinterpret_cast<const char*>(&bytes[args[0].of.i32]),
                                       static_cast<size_t>(args[1].of.i32));
                     store.data<Tally>()->seen.push_back(n);
                     std::printf("  %s %d\n", label.c_str(), static_cast<int>(n));
                     results[0] = wasmrt::val::i32(n * n);
                     return std::nullopt;
                   })
      .unwrap();

  // A tag of this store; `check` throws it for values above 5.
  wasmrt::Tag too_big(store.get(), {WASM_I32});
  linker.define(store.get(), "host", "too_big", wasmrt::Extern(wasm_extern_copy(too_big.as_extern())))
      .unwrap();
  const wasmrt::Tag* tag = &too_big;
  linker
      .define_func("host", "check", wasmrt::FuncType({WASM_I32}, {}),
                   [tag](wasmrt::Caller, wasmrt::Span<const wasm_val_t> args,
                         wasmrt::Span<wasm_val_t>) -> std::optional<wasmrt::Trap> {
                     if (args[0].of.i32 <= 5) return std::nullopt;
                     return wasmrt::Trap::exception(*tag, {wasmrt::val::i32(args[0].of.i32)})
                         .unwrap();
                   })
      .unwrap();

  wasmrt::Module module = wasmrt::Module::from_wat(store.get(), kWat).unwrap();
  wasmrt::Instantiated made = linker.instantiate(store.get(), module);
  if (!std::holds_alternative<wasmrt::Instance>(made)) {
    std::printf("instantiation failed\n");
    return 1;
  }
  wasmrt::Instance& instance = std::get<wasmrt::Instance>(made);
  wasmrt::Extern count = instance.export_get("count").value();

  bool ok = true;
  for (int32_t n : {3, 6}) {
    std::printf("count(%d):\n", static_cast<int>(n));
    auto outcome = count.call({wasmrt::val::i32(n)});
    if (auto* trap = std::get_if<wasmrt::Trap>(&outcome)) {
      std::printf("  trapped, code %d: %s\n", static_cast<int>(trap->code().value_or(255)),
                  trap->summary().c_str());
      ok = ok && n == 6 && trap->code() == WASM_TRAP_CODE_INTEGER_OVERFLOW;
      continue;
    }
    std::printf("  = %d\n", static_cast<int>(first_i32(outcome)));
    ok = ok && first_i32(outcome) == 14;
  }
  std::printf("ticks seen: %zu\n", controls.data<Tally>()->seen.size());

  // At most two pages per memory: the second growth is refused.
  controls.limiter(2 * 65536, -1, -1, -1, -1);
  wasmrt::Extern grow = instance.export_get("grow").value();
  auto first = grow.call({wasmrt::val::i32(1)});
  auto second = grow.call({wasmrt::val::i32(1)});
  std::printf("memory.grow: %d, then %d\n", static_cast<int>(first_i32(first)),
              static_cast<int>(first_i32(second)));
  ok = ok && first_i32(first) == 1 && first_i32(second) == -1;

  // The tag both ways.
  wasmrt::Extern checked = instance.export_get("checked").value();
  for (int32_t n : {3, 9}) {
    auto outcome = checked.call({wasmrt::val::i32(n)});
    int32_t value = first_i32(outcome);
    std::printf("checked(%d) = %d%s\n", static_cast<int>(n), static_cast<int>(value),
                value < 0 ? " (the host threw, wasm caught)" : "");
    ok = ok && value == (n > 5 ? -n : n);
  }
  auto raised = instance.export_get("raise").value().call({wasmrt::val::i32(7)});
  if (auto* trap = std::get_if<wasmrt::Trap>(&raised)) {
    std::optional<wasmrt::Trap::Thrown> thrown = trap->exception();
    bool ours = thrown && thrown->tag.same(too_big);
    int32_t payload = thrown ? thrown->payload.at(0).of.i32 : -1;
    std::printf("raise(7): uncaught, code %d, %s, payload %d\n",
                static_cast<int>(trap->code().value_or(255)),
                ours ? "the host's tag" : "another tag", static_cast<int>(payload));
    ok = ok && ours && payload == 7 && trap->code() == WASM_TRAP_CODE_UNCAUGHT_EXCEPTION;
  } else {
    ok = false;
  }

  // Three extensions of the deadline, then stop.
  int calls = 0;
  controls.epoch_deadline_callback([&calls](wasm_store_t*) -> wasmrt::Result<uint64_t> {
    if (++calls <= 3) return uint64_t{0};
    return wasmrt::Error("out of time after " + std::to_string(calls - 1) + " extensions");
  });
  controls.set_epoch_deadline(0);
  auto spun = instance.export_get("spin").value().call({});
  if (auto* trap = std::get_if<wasmrt::Trap>(&spun)) {
    std::printf("spin stopped, code %d: %s\n", static_cast<int>(trap->code().value_or(255)),
                trap->summary().c_str());
    ok = ok && trap->code() == WASM_TRAP_CODE_INTERRUPT;
  } else {
    ok = false;
  }

  // Errors are values; unwrap() would throw wasmrt::Exception.
  wasmrt::Result<wasmrt::Module> bad = wasmrt::Module::from_wat(store.get(), "(module (func");
  std::printf("bad text refused: %s\n", bad.ok() ? "no" : "yes");
  ok = ok && !bad.ok();
  try {
    wasmrt::Module::from_wat(store.get(), "(module (func").unwrap();
    ok = false;
  } catch (const wasmrt::Exception&) {
    std::printf("unwrap threw wasmrt::Exception\n");
  }

  std::printf("deleting the store\n");
  return ok ? 0 : 1;
}

}  // namespace

int main() {
  int status = run();
  std::printf("done\n");
  return status;
}
