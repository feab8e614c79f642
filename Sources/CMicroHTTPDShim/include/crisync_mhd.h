#ifndef CRISYNC_MHD_SHIM_H
#define CRISYNC_MHD_SHIM_H
#include <stdint.h>
#include <stddef.h>
#include <microhttpd.h>
#include "crisync_tls.h"
#include "crisync_auth.h"

/* libmicrohttpd's start and info entry points are C-variadic, which Swift cannot call, and its
   option array wants function pointers smuggled through intptr_t. This shim takes a plain struct
   and does that in C, so Swift sees a clean, typed API. */

typedef void (*crisync_mhd_completed_cb)(void *cls, struct MHD_Connection *connection,
                                         void **request_context, enum MHD_RequestTerminationCode toe);

/* Called on a libmicrohttpd thread when a connection is accepted, before any TLS handshake:
   the place to notice changed TLS files cheaply (the callee rate-limits itself). */
typedef void (*crisync_mhd_connection_started_cb)(void *cls);

/* One formatted libmicrohttpd diagnostic (no trailing newline), e.g. a client that hung up. */
typedef void (*crisync_mhd_log_cb)(void *cls, const char *message);

struct crisync_mhd_config {
    int listen_fd;                        /* an already bound, listening socket */
    unsigned int thread_pool_size;        /* 0 or 1: one internal polling thread */
    unsigned int connection_limit;        /* max open connections; beyond: refused */
    unsigned int connection_timeout_s;    /* idle connections are closed after this */
    /* A request's line and headers (and, with TLS, the handshake) must arrive within this many
       seconds of the connection opening or of the previous response; slower senders (slowloris,
       a byte now and then, which an idle timeout never catches) are disconnected. 0: no limit. */
    unsigned int request_header_timeout_s;
    size_t connection_memory_limit;       /* per-connection buffer: caps request line + headers */
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    crisync_mhd_completed_cb completed;
    void *completed_cls;
    crisync_mhd_connection_started_cb connection_started; /* may be NULL */
    void *connection_started_cls;
    crisync_mhd_log_cb log;                /* may be NULL: diagnostics are dropped, never printed */
    void *log_cls;
    /* NULL: plain HTTP. Otherwise every connection is TLS, served with the credentials current
       when it was accepted; the server is not owned (stop the daemon before destroying it). */
    struct crisync_tls_server *tls;
};

/* A running daemon and the hooks it calls. */
struct crisync_mhd;

/* Starts the daemon; NULL on failure (errno may say why; the caller still owns listen_fd then). */
struct crisync_mhd *crisync_mhd_start(const struct crisync_mhd_config *config);

/* Stops accepting, closes every connection, joins libmicrohttpd's threads and frees the handle. */
void crisync_mhd_stop(struct crisync_mhd *server);

/* The port the daemon's listening socket is bound to; 0 if unknown. */
uint16_t crisync_mhd_bound_port(struct crisync_mhd *server);

/* Number of connections currently open on the daemon; -1 if unknown. */
int crisync_mhd_current_connections(struct crisync_mhd *server);

/* Whether this libmicrohttpd was built with TLS support. */
int crisync_mhd_has_tls(void);

#endif
