/*
 * The reference for crisync's /metrics throughput: a minimal libmicrohttpd server that answers
 * every GET with a fixed body read from a file at start (and the gzip body, with
 * Content-Encoding: gzip, when the request accepts gzip). It runs libmicrohttpd exactly as
 * crisync's Server module does (internal polling thread, epoll, a pool of 2 threads, the same
 * connection limits and headers, the answer queued on the second call so connections are kept
 * alive), so the difference measured is crisync's own request path.
 *
 *   refserver PORT BODY_FILE GZIP_BODY_FILE
 *
 * Built by scripts/bench.sh: gcc -O2 -o refserver refserver.c $(pkg-config --cflags --libs libmicrohttpd)
 * Prints "listening on 127.0.0.1:PORT" once bound; stops on SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct MHD_Response *plain_response;
static struct MHD_Response *gzip_response;

static struct MHD_Response *load(const char *path, int gzip) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        perror(path);
        exit(1);
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *body = malloc(size > 0 ? (size_t)size : 1);
    if (body == NULL || fread(body, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(file);
    struct MHD_Response *response = MHD_create_response_from_buffer((size_t)size, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(response, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    MHD_add_response_header(response, "Vary", "Accept, Accept-Encoding");
    if (gzip) {
        MHD_add_response_header(response, "Content-Encoding", "gzip");
    }
    return response;
}

/* Marks a request whose first call (headers received) has happened. */
static int request_seen;

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **context) {
    (void)cls, (void)url, (void)method, (void)version, (void)upload_data;
    /* As crisync's Server: libmicrohttpd 0.9.7x closes the connection after a response queued on the
       first call (headers in, body unknown), so the answer waits for the second call and HTTP/1.1
       connections stay alive. Answering on the first call costs an accept and a close per request. */
    if (*context == NULL) {
        *context = &request_seen;
        return MHD_YES;
    }
    *upload_data_size = 0;
    const char *encoding = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Accept-Encoding");
    int gzip = encoding != NULL && strstr(encoding, "gzip") != NULL;
    return MHD_queue_response(connection, MHD_HTTP_OK, gzip ? gzip_response : plain_response);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: refserver PORT BODY_FILE GZIP_BODY_FILE\n");
        return 2;
    }
    plain_response = load(argv[2], 0);
    gzip_response = load(argv[3], 1);

    /* Blocked before libmicrohttpd starts its threads, so they inherit the mask and sigwait gets it. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigprocmask(SIG_BLOCK, &signals, NULL);

    struct sockaddr_in address;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(argv[1]));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL, 0, NULL, NULL, &answer, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)2,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024), MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "refserver: cannot listen on 127.0.0.1:%s\n", argv[1]);
        return 1;
    }
    printf("listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);

    int received;
    sigwait(&signals, &received);
    MHD_stop_daemon(daemon);
    MHD_destroy_response(plain_response);
    MHD_destroy_response(gzip_response);
    return 0;
}
