// libFuzzer's driver entry point (compiler-rt, linked by -sanitize=fuzzer), for the dlt-fuzz harness: SwiftPM names an
// executable's entry point itself, so the harness calls the driver from there instead of using libFuzzer's main.
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
