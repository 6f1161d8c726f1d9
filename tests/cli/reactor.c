/*
 * A WASI reactor for tests/cli.rs (built with -mexec-model=reactor): its
 * `_initialize` runs the constructor, which `get` and `scale` depend on.
 */
static int base;

__attribute__((constructor)) static void set_base(void) { base = 42; }

__attribute__((export_name("get"))) int get(void) { return base; }

__attribute__((export_name("scale"))) double scale(double factor) { return base * factor; }
