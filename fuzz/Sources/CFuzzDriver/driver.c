/* Declarations only: LLVMFuzzerRunDriver comes from libFuzzer, linked by -sanitize=fuzzer. */
#include "crisync_fuzz_driver.h"
