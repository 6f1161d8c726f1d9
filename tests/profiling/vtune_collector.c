/*
 * A stand-in for VTune's JIT collector, for tests/profiling.rs: the JIT
 * profiling API loads the library named by INTEL_JIT_PROFILER64 and calls
 * its Initialize and NotifyEvent. This one appends each method-load event
 * to the file named by WASM_RUNTIME_VTUNE_LOG, one line per method:
 *
 *   ADDRESS SIZE LINES OFFSET:LINE... NAME
 *
 * (hex address, decimal size and line-table length, then the table, then
 * the name, which may hold spaces).
 */
#include <stdio.h>
#include <stdlib.h>

/* The layouts of the API's jitprofiling.h. */
typedef struct {
  unsigned int Offset;
  unsigned int LineNumber;
} LineNumberInfo;

typedef struct {
  unsigned int method_id;
  char* method_name;
  void* method_load_address;
  unsigned int method_size;
  unsigned int line_number_size;
  LineNumberInfo* line_number_table;
  unsigned int class_id;
  char* class_file_name;
  char* source_file_name;
} iJIT_Method_Load;

enum { METHOD_LOAD_FINISHED = 13, SAMPLING_ON = 1 };

unsigned int Initialize(void) { return SAMPLING_ON; }

int NotifyEvent(int event, void* data) {
  if (event != METHOD_LOAD_FINISHED) return 0;
  const iJIT_Method_Load* m = data;
  const char* path = getenv("WASM_RUNTIME_VTUNE_LOG");
  FILE* log = path ? fopen(path, "a") : NULL;
  if (!log) return 0;
  fprintf(log, "%p %u %u", m->method_load_address, m->method_size, m->line_number_size);
  for (unsigned int i = 0; i < m->line_number_size; i++)
    fprintf(log, " %u:%u", m->line_number_table[i].Offset, m->line_number_table[i].LineNumber);
  fprintf(log, " %s|%s\n", m->source_file_name ? m->source_file_name : "", m->method_name);
  fclose(log);
  return 1;
}
