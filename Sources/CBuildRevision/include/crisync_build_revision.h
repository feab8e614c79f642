#ifndef CRISYNC_BUILD_REVISION_H
#define CRISYNC_BUILD_REVISION_H

/// The commit this binary was built from (Package.swift passes it as CRISYNC_REVISION), or "unknown".
const char *crisync_build_revision(void);

#endif
