// A C++ host of wasm-runtime, built by tests/package.rs against the CMake
// package in three ways (find_package after install, add_subdirectory and
// FetchContent), linked to the shared or the static library. It prints
// what it observed; the test checks the output.
#include <cstdio>
#include <memory>
#include <string>

#include "wasm-runtime.h"

namespace {

struct EngineDeleter {
  void operator()(wasm_engine_t* engine) const { wasm_engine_delete(engine); }
};
using Engine = std::unique_ptr<wasm_engine_t, EngineDeleter>;

// Takes the message out of an extension error and frees both.
std::string take_message(wasm_error_t* error) {
  wasm_name_t message;
  wasm_error_message(error, &message);
  std::string text(message.data, message.size);
  wasm_byte_vec_delete(&message);
  wasm_error_delete(error);
  return text;
}

}  // namespace

int main() {
  std::printf("wasm-runtime %s\n", WASM_RUNTIME_VERSION);

  Engine engine(wasm_engine_new_with_config(wasm_config_new()));
  if (!engine) {
    std::printf("wasm_engine_new_with_config failed\n");
    return 1;
  }
  std::printf("engine: ok\n");

  // A NULL config is refused with an error, not a crash.
  wasm_engine_t* refused = nullptr;
  wasm_error_t* error = wasm_engine_try_new(nullptr, &refused);
  if (error == nullptr || refused != nullptr) {
    std::printf("wasm_engine_try_new accepted a NULL config\n");
    return 1;
  }
  std::printf("error: %s\n", take_message(error).c_str());
  return 0;
}
