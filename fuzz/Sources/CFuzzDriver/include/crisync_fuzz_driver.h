#ifndef CRISYNC_FUZZ_DRIVER_H
#define CRISYNC_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point for programs that have their own main (compiler-rt's FuzzerDriver.cpp):
   parses libFuzzer's flags from argv and runs the loop, calling `callback` once per input. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
