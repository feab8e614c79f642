#ifndef CRISYNC_CMICROHTTPD_H
#define CRISYNC_CMICROHTTPD_H
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <microhttpd.h>
#endif
