#ifndef CRISYNC_CZLIB_H
#define CRISYNC_CZLIB_H
#include <zlib.h>
#endif
