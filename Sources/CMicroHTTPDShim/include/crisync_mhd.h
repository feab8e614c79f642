#ifndef CRISYNC_MHD_SHIM_H
#define CRISYNC_MHD_SHIM_H
#include <stdint.h>
#include <stddef.h>
#include <microhttpd.h>

/* libmicrohttpd's start and info entry points are C-variadic, which Swift cannot call, and its
   option array wants function pointers smuggled through intptr_t. This shim takes a plain struct
   and does that in C, so Swift sees a clean, typed API. */

typedef void (*crisync_mhd_completed_cb)(void *cls, struct MHD_Connection *connection,
                                         void **request_context, enum MHD_RequestTerminationCode toe);

struct crisync_mhd_config {
    int listen_fd;                        /* an already bound, listening socket */
    unsigned int thread_pool_size;        /* 0 or 1: one internal polling thread */
    unsigned int connection_limit;        /* max open connections; beyond: refused */
    unsigned int connection_timeout_s;    /* idle connections are closed after this (slowloris) */
    size_t connection_memory_limit;       /* per-connection buffer: caps request line + headers */
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    crisync_mhd_completed_cb completed;
    void *completed_cls;
};

/* Starts the daemon; NULL on failure (errno may say why). */
struct MHD_Daemon *crisync_mhd_start(const struct crisync_mhd_config *config);

/* The port the daemon's listening socket is bound to; 0 if unknown. */
uint16_t crisync_mhd_bound_port(struct MHD_Daemon *daemon);

/* Number of connections currently open on the daemon; -1 if unknown. */
int crisync_mhd_current_connections(struct MHD_Daemon *daemon);

#endif
