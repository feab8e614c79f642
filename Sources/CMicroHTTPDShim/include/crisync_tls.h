#ifndef CRISYNC_TLS_H
#define CRISYNC_TLS_H
#include <stddef.h>

/* TLS for the libmicrohttpd daemon, through GnuTLS (what Debian's libmicrohttpd is built with).

   libmicrohttpd cannot swap certificates on a running daemon, so the shim does not hand it any:
   it installs a certificate callback (MHD_OPTION_HTTPS_CERT_CALLBACK) and, when each connection
   is accepted, pins the then-current credentials to that connection's GnuTLS session (priorities,
   client-certificate policy, verification). Replacing the credentials therefore affects the next
   handshake and never an open connection, and nothing is restarted. */

/* The exporter-toolkit `client_auth_type` values, with Go's crypto/tls semantics. */
enum crisync_client_auth {
    CRISYNC_NO_CLIENT_CERT = 0,
    CRISYNC_REQUEST_CLIENT_CERT = 1,          /* asked for, not required, not verified */
    CRISYNC_REQUIRE_ANY_CLIENT_CERT = 2,      /* required, not verified */
    CRISYNC_VERIFY_CLIENT_CERT_IF_GIVEN = 3,  /* not required; verified when sent */
    CRISYNC_REQUIRE_AND_VERIFY_CLIENT_CERT = 4,
};

/* Which input was wrong when credentials could not be built. */
enum crisync_tls_failure {
    CRISYNC_TLS_OK = 0,
    CRISYNC_TLS_BAD_CERT = 1,          /* cert PEM: not a certificate chain */
    CRISYNC_TLS_BAD_KEY = 2,           /* key PEM: not an unencrypted private key */
    CRISYNC_TLS_KEY_MISMATCH = 3,      /* the key does not belong to the first certificate */
    CRISYNC_TLS_BAD_CLIENT_CA = 4,     /* client CA PEM: no usable certificate */
    CRISYNC_TLS_BAD_PRIORITIES = 5,    /* the GnuTLS priority string */
    CRISYNC_TLS_NO_MEMORY = 6,
};

struct crisync_tls_settings {
    const unsigned char *cert_pem;      /* server certificate chain, leaf first */
    size_t cert_pem_len;
    const unsigned char *key_pem;
    size_t key_pem_len;
    const unsigned char *client_ca_pem; /* NULL when no client CA is configured */
    size_t client_ca_pem_len;
    enum crisync_client_auth client_auth;
    const char *priorities;             /* GnuTLS priority string, e.g. "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" */
};

/* One immutable, reference-counted set of credentials. */
struct crisync_tls_credentials;

/* Builds credentials; NULL on failure, with *failure set and a one-line GnuTLS reason in detail. */
struct crisync_tls_credentials *crisync_tls_credentials_create(
    const struct crisync_tls_settings *settings, enum crisync_tls_failure *failure, char *detail, size_t detail_len);

void crisync_tls_credentials_release(struct crisync_tls_credentials *credentials);

/* What a daemon serves with: the current credentials, replaceable from any thread. */
struct crisync_tls_server;

/* Takes ownership of the initial credentials; NULL when out of memory. */
struct crisync_tls_server *crisync_tls_server_create(struct crisync_tls_credentials *initial);

/* Takes ownership of the new credentials; connections already accepted keep theirs. */
void crisync_tls_server_replace(struct crisync_tls_server *server, struct crisync_tls_credentials *credentials);

/* Only after every daemon using it has been stopped. */
void crisync_tls_server_destroy(struct crisync_tls_server *server);

/* Used by crisync_mhd.c: a new reference to the current credentials, and pinning them to a
   GnuTLS session (void * so that this header does not need GnuTLS's). */
struct crisync_tls_credentials *crisync_tls_server_acquire(struct crisync_tls_server *server);
int crisync_tls_credentials_apply(struct crisync_tls_credentials *credentials, void *gnutls_session);
/* The MHD_OPTION_HTTPS_CERT_CALLBACK function (a gnutls_certificate_retrieve_function2). */
void *crisync_tls_certificate_callback(void);

#endif
