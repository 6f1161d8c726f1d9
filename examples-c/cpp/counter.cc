// A C++ host: wasm.h objects owned by std::unique_ptr with their delete
// functions, and host functions written as lambdas (std::function) whose
// state the runtime releases through the finalizer of
// wasm_func_new_with_env.
//
// Uses only the installed headers (wasm.h, and wasm_wat2wasm from
// wasm-runtime.h); built through CMake's find_package(WasmRuntime), see
// CMakeLists.txt next to it. Exits non-zero if anything behaves
// unexpectedly.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "wasm-runtime.h"

namespace {

// unique_ptr deleters for the wasm.h objects used here.
struct Deleter {
  void operator()(wasm_engine_t* p) const { wasm_engine_delete(p); }
  void operator()(wasm_store_t* p) const { wasm_store_delete(p); }
  void operator()(wasm_module_t* p) const { wasm_module_delete(p); }
  void operator()(wasm_instance_t* p) const { wasm_instance_delete(p); }
  void operator()(wasm_func_t* p) const { wasm_func_delete(p); }
  void operator()(wasm_functype_t* p) const { wasm_functype_delete(p); }
  void operator()(wasm_trap_t* p) const { wasm_trap_delete(p); }
};
template <typename T>
using Own = std::unique_ptr<T, Deleter>;

// A vector of extern handles, deleted with its elements.
struct Externs {
  wasm_extern_vec_t vec = WASM_EMPTY_VEC;
  Externs() = default;
  Externs(const Externs&) = delete;
  Externs& operator=(const Externs&) = delete;
  ~Externs() { wasm_extern_vec_delete(&vec); }
};

std::string trap_message(const wasm_trap_t* trap) {
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  std::string text(message.data);
  wasm_byte_vec_delete(&message);
  return text;
}

// A host function as a lambda: the std::function lives on the heap as the
// function's environment and is deleted by the finalizer.
using HostFn = std::function<wasm_trap_t*(const wasm_val_vec_t*, wasm_val_vec_t*)>;

Own<wasm_func_t> host_function(wasm_store_t* store, const wasm_functype_t* type, HostFn fn) {
  auto* env = new HostFn(std::move(fn));
  auto callback = [](void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
    return (*static_cast<HostFn*>(env))(args, results);
  };
  auto finalizer = [](void* env) {
    std::printf("finalizer: a lambda's state is released\n");
    delete static_cast<HostFn*>(env);
  };
  return Own<wasm_func_t>(wasm_func_new_with_env(store, type, callback, env, finalizer));
}

const char* const kWat =
    "(module\n"
    "  (import \"host\" \"tick\" (func $tick (param i32) (result i32)))\n"
    "  (func (export \"count\") (param $n i32) (result i32)\n"
    "    (local $total i32)\n"
    "    (block $done\n"
    "      (loop $again\n"
    "        (br_if $done (i32.eqz (local.get $n)))\n"
    "        (local.set $total (i32.add (local.get $total) (call $tick (local.get $n))))\n"
    "        (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "        (br $again)))\n"
    "    (local.get $total)))\n";

int run() {
  Own<wasm_engine_t> engine(wasm_engine_new());
  Own<wasm_store_t> store(wasm_store_new(engine.get()));

  wasm_byte_vec_t binary;
  if (wasm_error_t* error = wasm_wat2wasm(kWat, std::char_traits<char>::length(kWat), &binary)) {
    wasm_error_delete(error);
    throw std::runtime_error("wat2wasm failed");
  }
  Own<wasm_module_t> module(wasm_module_new(store.get(), &binary));
  wasm_byte_vec_delete(&binary);
  if (!module) throw std::runtime_error("compilation failed");

  // The lambda keeps its own list of what it saw; the limit makes it trap.
  std::vector<int32_t> seen;
  Own<wasm_functype_t> tick_type(
      wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32()));
  Own<wasm_func_t> tick = host_function(
      store.get(), tick_type.get(),
      [&seen, store = store.get()](const wasm_val_vec_t* args, wasm_val_vec_t* results) {
        int32_t n = args->data[0].of.i32;
        if (n > 5) {
          wasm_message_t message;
          wasm_name_new_from_string_nt(&message, ("tick: " + std::to_string(n) + " is too many").c_str());
          wasm_trap_t* trap = wasm_trap_new(store, &message);
          wasm_byte_vec_delete(&message);
          return trap;
        }
        seen.push_back(n);
        results->data[0] = WASM_I32_VAL(n * n);
        return static_cast<wasm_trap_t*>(nullptr);
      });

  wasm_extern_t* import_list[] = {wasm_func_as_extern(tick.get())};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(import_list);
  Own<wasm_instance_t> instance(wasm_instance_new(store.get(), module.get(), &imports, nullptr));
  if (!instance) throw std::runtime_error("instantiation failed");
  Externs exports;
  wasm_instance_exports(instance.get(), &exports.vec);
  const wasm_func_t* count = wasm_extern_as_func(exports.vec.data[0]);

  bool ok = true;
  for (int32_t n : {3, 5, 6}) {
    wasm_val_t args[] = {WASM_I32_VAL(n)};
    wasm_val_t results[] = {WASM_INIT_VAL};
    wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
    wasm_val_vec_t result_vec = WASM_ARRAY_VEC(results);
    seen.clear();
    Own<wasm_trap_t> trap(wasm_func_call(count, &arg_vec, &result_vec));
    if (trap) {
      std::printf("count(%d) trapped: %s\n", static_cast<int>(n), trap_message(trap.get()).c_str());
      ok = ok && n == 6;
      continue;
    }
    std::printf("count(%d) = %d, the host saw", static_cast<int>(n),
                static_cast<int>(results[0].of.i32));
    for (int32_t s : seen) std::printf(" %d", static_cast<int>(s));
    std::printf("\n");
    ok = ok && static_cast<int32_t>(seen.size()) == n;
  }
  std::printf("deleting the store\n");
  return ok ? 0 : 1;
}

}  // namespace

int main() {
  try {
    int status = run();
    std::printf("done\n");
    return status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
