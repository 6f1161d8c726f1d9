/* Compile-only check of the standard header's macros and inline helpers,
 * built by tests/headers.rs as C99, C11, C++11 and C++17 with
 * -Wall -Wextra -Werror -pedantic. It is valid C and C++ at once, so one
 * file covers both languages. Nothing here is linked or run. */
#include "wasm-runtime.h"

#include <stdio.h>

int wasm_header_use(wasm_store_t* store);

int wasm_header_use(wasm_store_t* store) {
  /* Values and vectors from the initialiser macros. */
  wasm_val_t args[6] = {WASM_I32_VAL(1), WASM_I64_VAL(2), WASM_F32_VAL(3.0f),
                        WASM_F64_VAL(4.0), WASM_REF_VAL(NULL), WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args);
  wasm_val_vec_t no_results = WASM_EMPTY_VEC;
  wasm_val_t ptr_val;
  int local = 0;
  wasm_name_t name;
  wasm_name_t name_nt;
  wasm_functype_t* types[12];
  size_t i;

  wasm_val_init_ptr(&ptr_val, &local);
  if (wasm_val_ptr(&ptr_val) != &local) return 1;
  if (!wasm_valkind_is_num(args[0].kind) || !wasm_valkind_is_ref(args[4].kind)) return 2;
  if (arg_vec.size != 6 || no_results.size != 0) return 3;

  wasm_name_new_from_string(&name, "memory");
  wasm_name_new_from_string_nt(&name_nt, "memory");
  wasm_name_delete(&name);
  wasm_name_delete(&name_nt);

  types[0] = wasm_functype_new_0_0();
  types[1] = wasm_functype_new_1_0(wasm_valtype_new_i32());
  types[2] = wasm_functype_new_2_0(wasm_valtype_new_i64(), wasm_valtype_new_f32());
  types[3] = wasm_functype_new_3_0(wasm_valtype_new_f64(), wasm_valtype_new_externref(),
                                   wasm_valtype_new_funcref());
  types[4] = wasm_functype_new_0_1(wasm_valtype_new_i32());
  types[5] = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  types[6] = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                                   wasm_valtype_new_i32());
  types[7] = wasm_functype_new_3_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                                   wasm_valtype_new_i32(), wasm_valtype_new_i32());
  types[8] = wasm_functype_new_0_2(wasm_valtype_new_i32(), wasm_valtype_new_i64());
  types[9] = wasm_functype_new_1_2(wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                                   wasm_valtype_new_i64());
  types[10] = wasm_functype_new_2_2(wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                                    wasm_valtype_new_i32(), wasm_valtype_new_i64());
  types[11] = wasm_functype_new_3_2(wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                                    wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                                    wasm_valtype_new_v128());
  for (i = 0; i < 12; i++) {
    const wasm_valtype_vec_t* params = wasm_functype_params(types[i]);
    if (params->size > 0 && !wasm_valtype_is_num(params->data[0])) return 4;
    if (params->size > 0 && wasm_valtype_is_ref(params->data[0])) return 5;
    wasm_functype_delete(types[i]);
  }

  {
    wasm_limits_t limits = {1, wasm_limits_max_default};
    wasm_memorytype_t* memory_type = wasm_memorytype_new(&limits);
    wasm_memory_t* memory = wasm_memory_new(store, memory_type);
    size_t bytes = (size_t)wasm_memory_size(memory) * MEMORY_PAGE_SIZE;
    printf("%zu\n", bytes);
    wasm_memory_delete(memory);
    wasm_memorytype_delete(memory_type);
  }
  return 0;
}
