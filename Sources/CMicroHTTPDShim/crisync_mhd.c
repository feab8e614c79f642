#include "crisync_mhd.h"
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* What the shim keeps per open connection (libmicrohttpd's socket_context points here). */
struct crisync_mhd_slot {
    int in_use;                                  /* guarded by the server's lock */
    int fd;                                      /* guarded by the server's lock */
    int shut_down;                               /* guarded by the server's lock */
    _Atomic int64_t waiting_since_ns;            /* 0 while a request is being answered */
    struct crisync_tls_credentials *credentials; /* pinned for this connection's handshake */
};

struct crisync_mhd {
    struct MHD_Daemon *daemon;
    MHD_AccessHandlerCallback handler;
    void *handler_cls;
    crisync_mhd_completed_cb completed;
    void *completed_cls;
    crisync_mhd_connection_started_cb connection_started;
    void *connection_started_cls;
    crisync_mhd_log_cb log;
    void *log_cls;
    struct crisync_tls_server *tls;

    /* Connection slots: preallocated, one per allowed connection. */
    pthread_mutex_t lock;
    struct crisync_mhd_slot *slots;
    unsigned int slot_count;

    /* The header-deadline sweeper. */
    int64_t header_timeout_ns;
    pthread_t sweeper;
    int sweeper_running;
    int stopping; /* guarded by lock */
    pthread_cond_t wake;
};

static int64_t monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static struct crisync_mhd_slot *slot_of(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info == NULL ? NULL : info->socket_context;
}

/* Cuts off connections whose request has not fully arrived in time. shutdown(), not close():
   libmicrohttpd still owns the descriptor, sees end-of-stream and cleans up as usual. The slot
   lock makes this safe: libmicrohttpd reports a connection closed (freeing its slot) before it
   closes the descriptor, so a descriptor in a used slot is never a reused number. */
static void *sweep(void *arg) {
    struct crisync_mhd *server = arg;
    pthread_mutex_lock(&server->lock);
    while (!server->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += 250 * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec += 1;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&server->wake, &server->lock, &until);
        int64_t now = monotonic_ns();
        for (unsigned int i = 0; i < server->slot_count; i++) {
            struct crisync_mhd_slot *slot = &server->slots[i];
            int64_t since = atomic_load_explicit(&slot->waiting_since_ns, memory_order_relaxed);
            if (slot->in_use && !slot->shut_down && since != 0 && now - since > server->header_timeout_ns) {
                shutdown(slot->fd, SHUT_RDWR);
                slot->shut_down = 1;
            }
        }
    }
    pthread_mutex_unlock(&server->lock);
    return NULL;
}

static void notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                              enum MHD_ConnectionNotificationCode code) {
    struct crisync_mhd *server = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        if (server->connection_started != NULL) {
            server->connection_started(server->connection_started_cls);
        }
        const union MHD_ConnectionInfo *fd_info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct crisync_mhd_slot *slot = NULL;
        pthread_mutex_lock(&server->lock);
        for (unsigned int i = 0; i < server->slot_count && slot == NULL; i++) {
            if (!server->slots[i].in_use) slot = &server->slots[i];
        }
        if (slot != NULL) {
            slot->in_use = 1;
            slot->shut_down = 0;
            slot->fd = fd_info == NULL ? -1 : fd_info->connect_fd;
            slot->credentials = NULL;
            /* An unknown descriptor cannot be cut off: leave such a connection to the idle timeout. */
            atomic_store_explicit(&slot->waiting_since_ns, slot->fd < 0 ? 0 : monotonic_ns(), memory_order_relaxed);
        }
        pthread_mutex_unlock(&server->lock);
        *socket_context = slot;

        if (server->tls != NULL) {
            const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
            if (slot != NULL && info != NULL && info->tls_session != NULL) {
                /* Pinned credentials never change under a handshake in progress. On failure the
                   session has none: the certificate callback refuses and the handshake fails. */
                struct crisync_tls_credentials *credentials = crisync_tls_server_acquire(server->tls);
                if (crisync_tls_credentials_apply(credentials, info->tls_session) < 0) {
                    crisync_tls_credentials_release(credentials);
                } else {
                    slot->credentials = credentials;
                }
            }
        }
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct crisync_mhd_slot *slot = *socket_context;
        if (slot == NULL) return;
        struct crisync_tls_credentials *credentials = slot->credentials;
        pthread_mutex_lock(&server->lock);
        slot->in_use = 0;
        slot->fd = -1;
        slot->credentials = NULL;
        atomic_store_explicit(&slot->waiting_since_ns, 0, memory_order_relaxed);
        pthread_mutex_unlock(&server->lock);
        *socket_context = NULL;
        crisync_tls_credentials_release(credentials);
    }
}

/* The request's headers are complete: it is no longer a slow sender's. */
static enum MHD_Result access_handler(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                      const char *version, const char *upload_data, size_t *upload_data_size,
                                      void **request_context) {
    struct crisync_mhd *server = cls;
    struct crisync_mhd_slot *slot = slot_of(connection);
    if (slot != NULL) atomic_store_explicit(&slot->waiting_since_ns, 0, memory_order_relaxed);
    return server->handler(server->handler_cls, connection, url, method, version, upload_data, upload_data_size,
                           request_context);
}

/* The response is sent: the next request on this connection has its own deadline. */
static void request_completed(void *cls, struct MHD_Connection *connection, void **request_context,
                              enum MHD_RequestTerminationCode code) {
    struct crisync_mhd *server = cls;
    struct crisync_mhd_slot *slot = slot_of(connection);
    if (slot != NULL && slot->fd >= 0) atomic_store_explicit(&slot->waiting_since_ns, monotonic_ns(), memory_order_relaxed);
    if (server->completed != NULL) server->completed(server->completed_cls, connection, request_context, code);
}

/* libmicrohttpd would print to stderr, outside the exporter's log format: hand it over instead. */
static void log_message(void *cls, const char *format, va_list arguments) {
    struct crisync_mhd *server = cls;
    if (server->log == NULL) return;
    char message[512];
    vsnprintf(message, sizeof(message), format, arguments);
    size_t length = strlen(message);
    while (length > 0 && (message[length - 1] == '\n' || message[length - 1] == '\r')) message[--length] = 0;
    server->log(server->log_cls, message);
}

static void free_server(struct crisync_mhd *server) {
    pthread_cond_destroy(&server->wake);
    pthread_mutex_destroy(&server->lock);
    free(server->slots);
    free(server);
}

struct crisync_mhd *crisync_mhd_start(const struct crisync_mhd_config *config) {
    struct crisync_mhd *server = calloc(1, sizeof(*server));
    if (server == NULL) {
        return NULL;
    }
    server->handler = config->handler;
    server->handler_cls = config->handler_cls;
    server->completed = config->completed;
    server->completed_cls = config->completed_cls;
    server->connection_started = config->connection_started;
    server->connection_started_cls = config->connection_started_cls;
    server->log = config->log;
    server->log_cls = config->log_cls;
    server->tls = config->tls;
    server->header_timeout_ns = (int64_t)config->request_header_timeout_s * 1000000000;
    pthread_mutex_init(&server->lock, NULL);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&server->wake, &attributes);
    pthread_condattr_destroy(&attributes);
    server->slot_count = config->connection_limit;
    server->slots = calloc(server->slot_count, sizeof(struct crisync_mhd_slot));
    if (server->slots == NULL) {
        free_server(server);
        return NULL;
    }

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
#ifdef __linux__
    flags |= MHD_USE_EPOLL;
#endif
    if (config->tls != NULL) {
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem options[] = {
        /* First: libmicrohttpd reports a problem with any option after it through it (and warns
           when it is not first). */
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)log_message, server},
        {MHD_OPTION_LISTEN_SOCKET, config->listen_fd, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)config->connection_limit, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)config->connection_timeout_s, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)config->connection_memory_limit, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, server},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_connection, server},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)(config->thread_pool_size > 1 ? config->thread_pool_size : 0), NULL},
        /* Only read with MHD_USE_TLS: libmicrohttpd then asks for the certificate per handshake. */
        {config->tls != NULL ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, 0, crisync_tls_certificate_callback()},
        {MHD_OPTION_END, 0, NULL},
    };
    server->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, server, MHD_OPTION_ARRAY, options,
                                      MHD_OPTION_END);
    if (server->daemon == NULL) {
        free_server(server);
        return NULL;
    }
    if (server->header_timeout_ns > 0 && pthread_create(&server->sweeper, NULL, sweep, server) == 0) {
        server->sweeper_running = 1;
    }
    return server;
}

void crisync_mhd_stop(struct crisync_mhd *server) {
    if (server->sweeper_running) {
        pthread_mutex_lock(&server->lock);
        server->stopping = 1;
        pthread_cond_signal(&server->wake);
        pthread_mutex_unlock(&server->lock);
        pthread_join(server->sweeper, NULL);
    }
    /* Closes every connection, which releases their slots and pinned credentials. */
    MHD_stop_daemon(server->daemon);
    free_server(server);
}

uint16_t crisync_mhd_bound_port(struct crisync_mhd *server) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    if (info == NULL) {
        return 0;
    }
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    memset(&addr, 0, sizeof(addr));
    if (getsockname(info->listen_fd, (struct sockaddr *)&addr, &len) != 0) {
        return 0;
    }
    if (addr.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&addr)->sin_port);
    }
    if (addr.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    }
    return 0;
}

int crisync_mhd_current_connections(struct crisync_mhd *server) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? -1 : (int)info->num_connections;
}

int crisync_mhd_has_tls(void) {
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}
