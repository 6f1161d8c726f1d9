/* wasm-runtime.hh: C++17 wrappers over wasm.h and wasm-runtime.h.
 *
 * Hand-written (not generated like the C headers), header-only, no
 * dependencies beyond the C headers and the standard library.
 *
 * - Every owning wrapper (Engine, Store, Module, Instance, Func, Extern,
 *   Linker, Trap, Error, ...) is move-only and deletes its C object in its
 *   destructor; `get()` lends the C pointer, `release()` gives it up.
 *   Borrowed views (StoreRef, Caller) do not own anything.
 * - Fallible operations return `Result<T>` (a value or an `Error`) or
 *   `std::optional<Trap>`; nothing throws unless asked: `Result::unwrap()`
 *   throws `wasmrt::Exception` when exceptions are on
 *   (WASM_RUNTIME_HH_EXCEPTIONS, default: on when the compiler has them),
 *   and prints the error and aborts otherwise.
 * - Host functions and epoch callbacks are any callables (lambdas); their
 *   state is owned by the runtime and released through the C finalizers.
 *
 * Ownership follows the C API (see docs/c-api.md): objects outlive the
 * handles that refer to them as long as the C API says they do.
 */
#ifndef WASM_RUNTIME_HH
#define WASM_RUNTIME_HH

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "wasm-runtime.h"

#ifndef WASM_RUNTIME_HH_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define WASM_RUNTIME_HH_EXCEPTIONS 1
#else
#define WASM_RUNTIME_HH_EXCEPTIONS 0
#endif
#endif

#if WASM_RUNTIME_HH_EXCEPTIONS
#include <stdexcept>
#endif

namespace wasmrt {

namespace detail {

/* A move-only owner of a C object freed with `Delete`. */
template <typename T, void (*Delete)(T*)>
class Owned {
 public:
  Owned() = default;
  explicit Owned(T* ptr) : ptr_(ptr) {}
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  Owned(Owned&& other) noexcept : ptr_(other.release()) {}
  Owned& operator=(Owned&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  ~Owned() { reset(nullptr); }

  /* The C object, lent (still owned by this wrapper). */
  T* get() const { return ptr_; }
  /* Gives up ownership: the caller deletes the returned object. */
  T* release() {
    T* ptr = ptr_;
    ptr_ = nullptr;
    return ptr;
  }
  explicit operator bool() const { return ptr_ != nullptr; }

 protected:
  void reset(T* ptr) {
    if (ptr_) Delete(ptr_);
    ptr_ = ptr;
  }

 private:
  T* ptr_ = nullptr;
};

/* The text of a byte vector that may or may not end in a NUL. */
inline std::string text_of(const wasm_byte_vec_t& bytes) {
  size_t size = bytes.size;
  if (size > 0 && bytes.data[size - 1] == '\0') --size;
  return std::string(bytes.data, size);
}

}  // namespace detail

/* A contiguous run of values (the arguments or results of a call). */
template <typename T>
class Span {
 public:
  Span(T* data, size_t size) : data_(data), size_(size) {}
  T* begin() const { return data_; }
  T* end() const { return data_ + size_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) const { return data_[i]; }

 private:
  T* data_;
  size_t size_;
};

/* Values: helpers over the C `wasm_val_t`. */
namespace val {
inline wasm_val_t i32(int32_t v) {
  wasm_val_t out{};
  out.kind = WASM_I32;
  out.of.i32 = v;
  return out;
}
inline wasm_val_t i64(int64_t v) {
  wasm_val_t out{};
  out.kind = WASM_I64;
  out.of.i64 = v;
  return out;
}
inline wasm_val_t f32(float v) {
  wasm_val_t out{};
  out.kind = WASM_F32;
  out.of.f32 = v;
  return out;
}
inline wasm_val_t f64(double v) {
  wasm_val_t out{};
  out.kind = WASM_F64;
  out.of.f64 = v;
  return out;
}
}  // namespace val

/* An error of an extension function (`wasm_error_t`). */
class Error : public detail::Owned<wasm_error_t, wasm_error_delete> {
 public:
  explicit Error(wasm_error_t* error) : Owned(error) {}
  /* A new error with `message`, for callbacks that fail. */
  explicit Error(const std::string& message) : Owned(wasm_error_new(message.c_str())) {}

  std::string message() const {
    wasm_name_t text;
    wasm_error_message(get(), &text);
    std::string out = detail::text_of(text);
    wasm_byte_vec_delete(&text);
    return out;
  }
  wasm_error_kind_t kind() const { return wasm_error_kind(get()); }
  /* The byte offset of an invalid module's problem, if known. */
  std::optional<size_t> offset() const {
    size_t offset = 0;
    if (wasm_error_offset(get(), &offset)) return offset;
    return std::nullopt;
  }
};

#if WASM_RUNTIME_HH_EXCEPTIONS
/* What `Result::unwrap` throws: the error's message and kind. */
class Exception : public std::runtime_error {
 public:
  explicit Exception(const Error& error)
      : std::runtime_error(error.message()), kind_(error.kind()) {}
  wasm_error_kind_t kind() const { return kind_; }

 private:
  wasm_error_kind_t kind_;
};
#endif

namespace detail {
[[noreturn]] inline void fail(const Error& error) {
#if WASM_RUNTIME_HH_EXCEPTIONS
  throw Exception(error);
#else
  std::fprintf(stderr, "wasm-runtime: %s\n", error.message().c_str());
  std::abort();
#endif
}
}  // namespace detail

/* A value or an `Error`. */
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  /* The value; only when `ok()`. */
  T& value() { return std::get<0>(state_); }
  /* The error; only when `!ok()`. */
  Error& error() { return std::get<1>(state_); }
  /* The value, or (on error) throws `Exception` / aborts. */
  T unwrap() {
    if (!ok()) detail::fail(error());
    return std::move(value());
  }

 private:
  std::variant<T, Error> state_;
};

/* Success or an `Error`. */
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}
  /* Takes an extension function's result (NULL is success). */
  static Result from(wasm_error_t* error) {
    if (error) return Result(Error(error));
    return Result();
  }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  Error& error() { return *error_; }
  void unwrap() {
    if (!ok()) detail::fail(*error_);
  }

 private:
  std::optional<Error> error_;
};

/* An exception tag (`wasm_tag_t`, extension): what wasm `throw`s and a
   `try_table` catches, imported and exported like the other externs:
   `Tag(store, {WASM_I32})`. */
class Tag : public detail::Owned<wasm_tag_t, wasm_tag_delete> {
 public:
  explicit Tag(wasm_tag_t* tag) : Owned(tag) {}
  /* A new tag of `store` whose exceptions carry values of `params`. */
  Tag(wasm_store_t* store, std::initializer_list<wasm_valkind_t> params)
      : Owned(make(store, params)) {}

  bool same(const Tag& other) const { return wasm_tag_same(get(), other.get()); }
  /* The tag as an extern (borrowed from it). */
  wasm_extern_t* as_extern() const { return wasm_tag_as_extern(get()); }

 private:
  static wasm_tag_t* make(wasm_store_t* store, std::initializer_list<wasm_valkind_t> params) {
    wasm_valtype_vec_t types;
    wasm_valtype_vec_new_uninitialized(&types, params.size());
    size_t i = 0;
    for (wasm_valkind_t k : params) types.data[i++] = wasm_valtype_new(k);
    wasm_tagtype_t* type = wasm_tagtype_new(&types);
    wasm_tag_t* tag = wasm_tag_new(store, type);
    wasm_tagtype_delete(type);
    return tag;
  }
};

/* A trap (`wasm_trap_t`): raised by wasm or by a host function. */
class Trap : public detail::Owned<wasm_trap_t, wasm_trap_delete> {
 public:
  explicit Trap(wasm_trap_t* trap) : Owned(trap) {}

  /* A trap that, returned by a host function called from wasm, throws an
     exception of `tag` carrying `payload` into wasm (a `try_table` of the
     calling frames may catch it); an Error when the payload does not fit
     the tag's type. */
  static Result<Trap> exception(const Tag& tag, std::vector<wasm_val_t> payload) {
    wasm_val_vec_t values = {payload.size(), payload.data()};
    wasm_trap_t* trap = nullptr;
    if (wasm_error_t* error = wasm_trap_new_exception_checked(tag.get(), &values, &trap))
      return Error(error);
    return Trap(trap);
  }

  /* The message (with the backtrace, for traps that passed wasm). */
  std::string message() const {
    wasm_message_t text;
    wasm_trap_message(get(), &text);
    std::string out = detail::text_of(text);
    wasm_byte_vec_delete(&text);
    return out;
  }
  /* The message's first line: the trap's own text without the backtrace. */
  std::string summary() const {
    std::string text = message();
    return text.substr(0, text.find('\n'));
  }
  /* The WASM_TRAP_CODE_* of a coded trap. */
  std::optional<wasm_trap_code_t> code() const {
    wasm_trap_code_t code = 0;
    if (wasm_trap_code(get(), &code)) return code;
    return std::nullopt;
  }

  /* An exception that wasm threw and nothing caught (code
     WASM_TRAP_CODE_UNCAUGHT_EXCEPTION): its tag and payload. Reference
     values in the payload are owned by the caller, as in call results. */
  struct Thrown {
    Tag tag;
    std::vector<wasm_val_t> payload;
  };
  std::optional<Thrown> exception() const {
    wasm_tag_t* tag = nullptr;
    wasm_val_vec_t payload;
    if (!wasm_trap_exception(get(), &tag, &payload)) return std::nullopt;
    std::vector<wasm_val_t> values(payload.data, payload.data + payload.size);
    // The values now own the references: the vector's copy must not.
    for (size_t i = 0; i < payload.size; i++) {
      if (wasm_valkind_is_ref(payload.data[i].kind)) payload.data[i].of.ref = nullptr;
    }
    wasm_val_vec_delete(&payload);
    return Thrown{Tag(tag), std::move(values)};
  }
};

class StoreRef;

/* Engine configuration; consumed by `Engine(Config)`. */
class Config : public detail::Owned<wasm_config_t, wasm_config_delete> {
 public:
  Config() : Owned(wasm_config_new()) {}
  /* Sets an option through its C setter, e.g.
     `config.set(wasm_config_epoch_interruption_set, true)`. */
  template <typename F, typename... Args>
  Config& set(F setter, Args&&... args) {
    setter(get(), std::forward<Args>(args)...);
    return *this;
  }
};

class Engine : public detail::Owned<wasm_engine_t, wasm_engine_delete> {
 public:
  Engine() : Owned(wasm_engine_new()) {}
  explicit Engine(Config config) : Owned(wasm_engine_new_with_config(config.release())) {}
  void increment_epoch() const { wasm_engine_increment_epoch(get()); }
};

/* An extern (`wasm_extern_t`): a function, global, table, memory or tag. */
class Extern : public detail::Owned<wasm_extern_t, wasm_extern_delete> {
 public:
  explicit Extern(wasm_extern_t* ext) : Owned(ext) {}
  wasm_externkind_t kind() const { return wasm_extern_kind(get()); }
  /* Views of the extern (borrowed from it); NULL for another kind. */
  wasm_func_t* func() const { return wasm_extern_as_func(get()); }
  wasm_memory_t* memory() const { return wasm_extern_as_memory(get()); }
  wasm_global_t* global() const { return wasm_extern_as_global(get()); }
  wasm_table_t* table() const { return wasm_extern_as_table(get()); }
  wasm_tag_t* tag() const { return wasm_extern_as_tag(get()); }

  /* A memory extern's bytes (empty for other kinds). */
  Span<uint8_t> memory_bytes() const {
    wasm_memory_t* m = memory();
    if (!m) return Span<uint8_t>(nullptr, 0);
    return Span<uint8_t>(reinterpret_cast<uint8_t*>(wasm_memory_data(m)),
                         wasm_memory_data_size(m));
  }

  /* Calls a function extern with `args`; the results, or the trap (also
     when the extern is not a function). */
  std::variant<std::vector<wasm_val_t>, Trap> call(std::vector<wasm_val_t> args) const;
};

/* Calls `func` with `args`; the results, or the trap. */
inline std::variant<std::vector<wasm_val_t>, Trap> call(const wasm_func_t* func,
                                                        std::vector<wasm_val_t> args) {
  std::vector<wasm_val_t> results(wasm_func_result_arity(func));
  wasm_val_vec_t arg_vec = {args.size(), args.data()};
  wasm_val_vec_t result_vec = {results.size(), results.data()};
  if (wasm_trap_t* trap = wasm_func_call(func, &arg_vec, &result_vec)) return Trap(trap);
  return results;
}

inline std::variant<std::vector<wasm_val_t>, Trap> Extern::call(
    std::vector<wasm_val_t> args) const {
  /* Not a function: wasm_func_call's trap for a NULL function says so. */
  return wasmrt::call(func(), std::move(args));
}

/* The caller of a host function, lent for the call. */
class Caller {
 public:
  explicit Caller(wasm_caller_t* caller) : caller_(caller) {}
  /* The calling instance's export `name`; none when absent or when the
     host made the call. */
  std::optional<Extern> export_get(std::string_view name) const {
    wasm_extern_t* ext = wasm_caller_export_get(caller_, name.data(), name.size());
    if (!ext) return std::nullopt;
    return Extern(ext);
  }
  /* The calling store, lent for the call. */
  wasm_store_t* store() const { return wasm_caller_store(caller_); }
  wasm_caller_t* get() const { return caller_; }

 private:
  wasm_caller_t* caller_;
};

/* A host function's implementation: reads `args`, writes `results`, and
   returns a trap to fail (or std::nullopt). */
using HostFunction = std::function<std::optional<Trap>(Caller, Span<const wasm_val_t> args,
                                                       Span<wasm_val_t> results)>;

namespace detail {
inline wasm_trap_t* host_trampoline(void* env, wasm_caller_t* caller, const wasm_val_vec_t* args,
                                    wasm_val_vec_t* results) {
  auto& fn = *static_cast<HostFunction*>(env);
#if WASM_RUNTIME_HH_EXCEPTIONS
  try {
#endif
    std::optional<Trap> trap = fn(Caller(caller), Span<const wasm_val_t>(args->data, args->size),
                                  Span<wasm_val_t>(results->data, results->size));
    return trap ? trap->release() : nullptr;
#if WASM_RUNTIME_HH_EXCEPTIONS
  } catch (const std::exception& e) {
    /* No exception may unwind into the runtime. */
    wasm_message_t message;
    wasm_name_new_from_string_nt(&message, e.what());
    wasm_trap_t* trap = wasm_trap_new(wasm_caller_store(caller), &message);
    wasm_byte_vec_delete(&message);
    return trap;
  }
#endif
}

inline void host_finalizer(void* env) { delete static_cast<HostFunction*>(env); }
}  // namespace detail

/* A function type: `FuncType({WASM_I32, WASM_I32}, {WASM_I32})`. */
class FuncType : public detail::Owned<wasm_functype_t, wasm_functype_delete> {
 public:
  FuncType(std::initializer_list<wasm_valkind_t> params,
           std::initializer_list<wasm_valkind_t> results)
      : Owned(make(params, results)) {}

 private:
  static wasm_functype_t* make(std::initializer_list<wasm_valkind_t> params,
                               std::initializer_list<wasm_valkind_t> results) {
    wasm_valtype_vec_t p, r;
    wasm_valtype_vec_new_uninitialized(&p, params.size());
    wasm_valtype_vec_new_uninitialized(&r, results.size());
    size_t i = 0;
    for (wasm_valkind_t k : params) p.data[i++] = wasm_valtype_new(k);
    i = 0;
    for (wasm_valkind_t k : results) r.data[i++] = wasm_valtype_new(k);
    return wasm_functype_new(&p, &r);
  }
};

class Func : public detail::Owned<wasm_func_t, wasm_func_delete> {
 public:
  explicit Func(wasm_func_t* func) : Owned(func) {}
  /* A host function of `store` calling `fn`, which sees its caller. */
  Func(wasm_store_t* store, const FuncType& type, HostFunction fn)
      : Owned(wasm_func_new_with_caller(store, type.get(), detail::host_trampoline,
                                        new HostFunction(std::move(fn)),
                                        detail::host_finalizer)) {}
  std::variant<std::vector<wasm_val_t>, Trap> call(std::vector<wasm_val_t> args) const {
    return wasmrt::call(get(), std::move(args));
  }
  wasm_extern_t* as_extern() const { return wasm_func_as_extern(get()); }
};

/* The epoch deadline callback: returns the delta of the new deadline to
   go on, or an Error to stop wasm (an INTERRUPT trap with its message). */
using EpochCallback = std::function<Result<uint64_t>(wasm_store_t* store)>;

namespace detail {
inline wasm_error_t* epoch_trampoline(wasm_store_t* store, void* env, uint64_t* delta,
                                      wasm_update_deadline_kind_t* kind) {
  auto& fn = *static_cast<EpochCallback*>(env);
#if WASM_RUNTIME_HH_EXCEPTIONS
  try {
#endif
    Result<uint64_t> result = fn(store);
    if (!result.ok()) return result.error().release();
    *delta = result.value();
    *kind = WASM_UPDATE_DEADLINE_CONTINUE;
    return nullptr;
#if WASM_RUNTIME_HH_EXCEPTIONS
  } catch (const std::exception& e) {
    return wasm_error_new(e.what());
  }
#endif
}
inline void epoch_finalizer(void* env) { delete static_cast<EpochCallback*>(env); }
}  // namespace detail

/* Store controls shared by `Store` and borrowed store pointers. */
class StoreRef {
 public:
  explicit StoreRef(wasm_store_t* store) : store_(store) {}
  wasm_store_t* get() const { return store_; }

  /* The host data set with `set_data`, as `T*`. */
  template <typename T>
  T* data() const {
    return static_cast<T*>(wasm_store_get_data(store_));
  }
  /* Gives the store `data`, deleted when the store is gone. */
  template <typename T>
  void set_data(std::unique_ptr<T> data) const {
    wasm_store_set_data(store_, data.release(), [](void* p) { delete static_cast<T*>(p); });
  }
  /* Limits (negative: unlimited), as `wasm_store_limiter`. */
  void limiter(int64_t memory_size, int64_t table_elements, int64_t instances, int64_t tables,
               int64_t memories) const {
    wasm_store_limiter(store_, memory_size, table_elements, instances, tables, memories);
  }
  Result<void> set_fuel(uint64_t fuel) const {
    return Result<void>::from(wasm_store_set_fuel(store_, fuel));
  }
  void set_epoch_deadline(uint64_t ticks) const { wasm_store_set_epoch_deadline(store_, ticks); }
  void epoch_deadline_callback(EpochCallback fn) const {
    wasm_store_epoch_deadline_callback(store_, detail::epoch_trampoline,
                                       new EpochCallback(std::move(fn)), detail::epoch_finalizer);
  }
  void epoch_deadline_trap() const { wasm_store_epoch_deadline_trap(store_); }

 private:
  wasm_store_t* store_;
};

class Store : public detail::Owned<wasm_store_t, wasm_store_delete> {
 public:
  explicit Store(const Engine& engine) : Owned(wasm_store_new(engine.get())) {}
  /* The store's controls (data, limiter, fuel, epochs). */
  StoreRef ref() const { return StoreRef(get()); }
};

/* A wasm binary or text turned into bytes. */
inline Result<std::vector<uint8_t>> wat2wasm(std::string_view text) {
  wasm_byte_vec_t bytes;
  if (wasm_error_t* error = wasm_wat2wasm(text.data(), text.size(), &bytes)) return Error(error);
  std::vector<uint8_t> out(bytes.data, bytes.data + bytes.size);
  wasm_byte_vec_delete(&bytes);
  return out;
}

class Module : public detail::Owned<wasm_module_t, wasm_module_delete> {
 public:
  explicit Module(wasm_module_t* module) : Owned(module) {}

  /* Validates and compiles `binary` for the engine of `store`. */
  static Result<Module> compile(wasm_store_t* store, const std::vector<uint8_t>& binary) {
    wasm_byte_vec_t bytes = {binary.size(),
                             reinterpret_cast<wasm_byte_t*>(const_cast<uint8_t*>(binary.data()))};
    wasm_module_t* module = nullptr;
    if (wasm_error_t* error = wasm_module_new_checked(store, &bytes, &module)) return Error(error);
    return Module(module);
  }
  /* Compiles the text format. */
  static Result<Module> from_wat(wasm_store_t* store, std::string_view text) {
    Result<std::vector<uint8_t>> binary = wat2wasm(text);
    if (!binary) return std::move(binary.error());
    return compile(store, binary.value());
  }
  /* Why `binary` is not a valid module, if it is not. */
  static Result<void> validate(wasm_store_t* store, const std::vector<uint8_t>& binary) {
    wasm_byte_vec_t bytes = {binary.size(),
                             reinterpret_cast<wasm_byte_t*>(const_cast<uint8_t*>(binary.data()))};
    return Result<void>::from(wasm_module_validate_checked(store, &bytes));
  }
  /* Loads a file `serialize` wrote (mapped, not copied). */
  static Result<Module> deserialize_file(const Engine& engine, const std::string& path) {
    wasm_module_t* module = nullptr;
    if (wasm_error_t* error = wasm_module_deserialize_file(engine.get(), path.c_str(), &module))
      return Error(error);
    return Module(module);
  }
  std::vector<uint8_t> serialize() const {
    wasm_byte_vec_t bytes;
    wasm_module_serialize(get(), &bytes);
    std::vector<uint8_t> out(bytes.data, bytes.data + bytes.size);
    wasm_byte_vec_delete(&bytes);
    return out;
  }
};

class Instance : public detail::Owned<wasm_instance_t, wasm_instance_delete> {
 public:
  explicit Instance(wasm_instance_t* instance) : Owned(instance) {}
  /* The export `name`, if there is one. */
  std::optional<Extern> export_get(std::string_view name) const {
    wasm_extern_t* ext = wasm_instance_export_get(get(), name.data(), name.size());
    if (!ext) return std::nullopt;
    return Extern(ext);
  }
};

/* What instantiation gives: an instance, the start function's trap, or an
   error (a link failure, a limit). */
using Instantiated = std::variant<Instance, Trap, Error>;

class Linker : public detail::Owned<wasm_linker_t, wasm_linker_delete> {
 public:
  explicit Linker(const Engine& engine) : Owned(wasm_linker_new(engine.get())) {}

  void allow_shadowing(bool allow) { wasm_linker_allow_shadowing(get(), allow); }

  Result<void> define(wasm_store_t* store, std::string_view module, std::string_view name,
                      const Extern& item) {
    return Result<void>::from(wasm_linker_define(get(), store, module.data(), module.size(),
                                                 name.data(), name.size(), item.get()));
  }
  /* A host function for every store. */
  Result<void> define_func(std::string_view module, std::string_view name, const FuncType& type,
                           HostFunction fn) {
    return Result<void>::from(wasm_linker_define_func(
        get(), module.data(), module.size(), name.data(), name.size(), type.get(),
        detail::host_trampoline, new HostFunction(std::move(fn)), detail::host_finalizer));
  }
  Result<void> define_instance(wasm_store_t* store, std::string_view name,
                               const Instance& instance) {
    return Result<void>::from(
        wasm_linker_define_instance(get(), store, name.data(), name.size(), instance.get()));
  }
  Result<void> define_unknown_imports_as_traps(const Module& module) {
    return Result<void>::from(wasm_linker_define_unknown_imports_as_traps(get(), module.get()));
  }
  Result<void> module(wasm_store_t* store, std::string_view name, const Module& module) {
    return Result<void>::from(
        wasm_linker_module(get(), store, name.data(), name.size(), module.get()));
  }
  Instantiated instantiate(wasm_store_t* store, const Module& module) const {
    wasm_instance_t* instance = nullptr;
    wasm_trap_t* trap = nullptr;
    if (wasm_error_t* error = wasm_linker_instantiate(get(), store, module.get(), &instance, &trap))
      return Error(error);
    if (trap) return Trap(trap);
    return Instance(instance);
  }
  Result<Func> get_default(wasm_store_t* store, std::string_view name) const {
    wasm_func_t* func = nullptr;
    if (wasm_error_t* error = wasm_linker_get_default(get(), store, name.data(), name.size(), &func))
      return Error(error);
    return Func(func);
  }
  /* The definition of `module.name` as an extern of `store`. */
  std::optional<Extern> get_extern(wasm_store_t* store, std::string_view module,
                                   std::string_view name) const {
    wasm_extern_t* ext =
        wasm_linker_get(get(), store, module.data(), module.size(), name.data(), name.size());
    if (!ext) return std::nullopt;
    return Extern(ext);
  }
};

}  // namespace wasmrt

#endif /* WASM_RUNTIME_HH */
