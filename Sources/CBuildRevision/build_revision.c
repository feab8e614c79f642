#include "crisync_build_revision.h"

// Swift has no way to take a string from the command line at compile time; C's preprocessor does.
#ifndef CRISYNC_REVISION
#define CRISYNC_REVISION "unknown"
#endif

const char *crisync_build_revision(void) { return CRISYNC_REVISION; }
