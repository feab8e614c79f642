#include "crisync_tls.h"
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A server chain longer than this is a configuration mistake. */
#define CRISYNC_MAX_CHAIN 16
/* Client chains are verified up to this many certificates; more is refused. */
#define CRISYNC_MAX_PEER_CHAIN 8

struct crisync_tls_credentials {
    atomic_uint references;
    gnutls_pcert_st chain[CRISYNC_MAX_CHAIN];
    unsigned int chain_length;
    gnutls_privkey_t key;
    gnutls_priority_t priorities;
    gnutls_x509_trust_list_t client_cas; /* NULL without client_ca_file */
    enum crisync_client_auth client_auth;
};

struct crisync_tls_server {
    pthread_mutex_t lock;
    struct crisync_tls_credentials *current;
};

static void set_detail(char *detail, size_t detail_len, const char *what, int code) {
    if (detail != NULL && detail_len > 0) {
        snprintf(detail, detail_len, "%s: %s", what, gnutls_strerror(code));
    }
}

static void credentials_free(struct crisync_tls_credentials *c) {
    for (unsigned int i = 0; i < c->chain_length; i++) {
        gnutls_pcert_deinit(&c->chain[i]);
    }
    if (c->key != NULL) gnutls_privkey_deinit(c->key);
    if (c->priorities != NULL) gnutls_priority_deinit(c->priorities);
    if (c->client_cas != NULL) gnutls_x509_trust_list_deinit(c->client_cas, 1);
    free(c);
}

/* Loads the pair into a throwaway GnuTLS credentials object, which checks that the key belongs to
   the certificate: the certificate callback path does not. */
static int check_key_matches(const gnutls_datum_t *cert, const gnutls_datum_t *key) {
    gnutls_certificate_credentials_t probe;
    int rc = gnutls_certificate_allocate_credentials(&probe);
    if (rc < 0) return rc;
    rc = gnutls_certificate_set_x509_key_mem2(probe, cert, key, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(probe);
    return rc < 0 ? rc : 0;
}

struct crisync_tls_credentials *crisync_tls_credentials_create(
    const struct crisync_tls_settings *settings, enum crisync_tls_failure *failure, char *detail, size_t detail_len) {
    *failure = CRISYNC_TLS_OK;
    if (detail != NULL && detail_len > 0) detail[0] = 0;
    struct crisync_tls_credentials *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        *failure = CRISYNC_TLS_NO_MEMORY;
        return NULL;
    }
    atomic_init(&c->references, 1);
    c->client_auth = settings->client_auth;
    int rc;

    gnutls_datum_t cert = {(unsigned char *)settings->cert_pem, (unsigned int)settings->cert_pem_len};
    unsigned int chain_length = CRISYNC_MAX_CHAIN;
    rc = gnutls_pcert_list_import_x509_raw(c->chain, &chain_length, &cert, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0 || chain_length == 0) {
        *failure = CRISYNC_TLS_BAD_CERT;
        set_detail(detail, detail_len, "no usable certificate", rc < 0 ? rc : GNUTLS_E_NO_CERTIFICATE_FOUND);
        credentials_free(c);
        return NULL;
    }
    c->chain_length = chain_length;

    gnutls_datum_t key = {(unsigned char *)settings->key_pem, (unsigned int)settings->key_pem_len};
    rc = gnutls_privkey_init(&c->key);
    if (rc >= 0) rc = gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0) {
        *failure = CRISYNC_TLS_BAD_KEY;
        set_detail(detail, detail_len, "no usable private key", rc);
        credentials_free(c);
        return NULL;
    }
    rc = check_key_matches(&cert, &key);
    if (rc < 0) {
        *failure = CRISYNC_TLS_KEY_MISMATCH;
        set_detail(detail, detail_len, "certificate and key do not form a pair", rc);
        credentials_free(c);
        return NULL;
    }

    const char *error_at = NULL;
    rc = gnutls_priority_init(&c->priorities, settings->priorities, &error_at);
    if (rc < 0) {
        *failure = CRISYNC_TLS_BAD_PRIORITIES;
        set_detail(detail, detail_len, "priority string rejected", rc);
        credentials_free(c);
        return NULL;
    }

    if (settings->client_ca_pem != NULL) {
        gnutls_datum_t cas = {(unsigned char *)settings->client_ca_pem, (unsigned int)settings->client_ca_pem_len};
        rc = gnutls_x509_trust_list_init(&c->client_cas, 0);
        if (rc >= 0) rc = gnutls_x509_trust_list_add_trust_mem(c->client_cas, &cas, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
        if (rc <= 0) {
            *failure = CRISYNC_TLS_BAD_CLIENT_CA;
            set_detail(detail, detail_len, "no usable CA certificate", rc < 0 ? rc : GNUTLS_E_NO_CERTIFICATE_FOUND);
            credentials_free(c);
            return NULL;
        }
    }
    return c;
}

void crisync_tls_credentials_release(struct crisync_tls_credentials *credentials) {
    if (credentials != NULL && atomic_fetch_sub(&credentials->references, 1) == 1) {
        credentials_free(credentials);
    }
}

struct crisync_tls_server *crisync_tls_server_create(struct crisync_tls_credentials *initial) {
    struct crisync_tls_server *server = calloc(1, sizeof(*server));
    if (server == NULL) return NULL;
    pthread_mutex_init(&server->lock, NULL);
    server->current = initial;
    return server;
}

void crisync_tls_server_replace(struct crisync_tls_server *server, struct crisync_tls_credentials *credentials) {
    pthread_mutex_lock(&server->lock);
    struct crisync_tls_credentials *old = server->current;
    server->current = credentials;
    pthread_mutex_unlock(&server->lock);
    crisync_tls_credentials_release(old);
}

void crisync_tls_server_destroy(struct crisync_tls_server *server) {
    if (server == NULL) return;
    crisync_tls_credentials_release(server->current);
    pthread_mutex_destroy(&server->lock);
    free(server);
}

struct crisync_tls_credentials *crisync_tls_server_acquire(struct crisync_tls_server *server) {
    pthread_mutex_lock(&server->lock);
    struct crisync_tls_credentials *c = server->current;
    atomic_fetch_add(&c->references, 1);
    pthread_mutex_unlock(&server->lock);
    return c;
}

/* Runs inside the handshake once the client's Certificate message has arrived; a non-zero result
   fails the handshake (the client sees a TLS alert, never an HTTP answer). */
static int verify_client_certificate(gnutls_session_t session) {
    struct crisync_tls_credentials *c = gnutls_session_get_ptr(session);
    if (c == NULL) return -1;
    unsigned int peer_count = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &peer_count);
    if (peers == NULL || peer_count == 0) {
        return c->client_auth == CRISYNC_REQUIRE_AND_VERIFY_CLIENT_CERT ? -1 : 0;
    }
    if (c->client_cas == NULL || peer_count > CRISYNC_MAX_PEER_CHAIN) return -1;

    gnutls_x509_crt_t chain[CRISYNC_MAX_PEER_CHAIN];
    unsigned int imported = 0;
    int ok = 1;
    for (; imported < peer_count; imported++) {
        if (gnutls_x509_crt_init(&chain[imported]) < 0) {
            ok = 0;
            break;
        }
        if (gnutls_x509_crt_import(chain[imported], &peers[imported], GNUTLS_X509_FMT_DER) < 0) {
            imported++;
            ok = 0;
            break;
        }
    }
    if (ok) {
        /* Like Go's VerifyClientCertIfGiven/RequireAndVerifyClientCert: the chain must reach a
           client CA, be within its validity period, and allow TLS client authentication. */
        gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
        unsigned int status = 0;
        int rc = gnutls_x509_trust_list_verify_crt2(c->client_cas, chain, peer_count, &purpose, 1, 0, &status, NULL);
        ok = rc >= 0 && status == 0;
    }
    for (unsigned int i = 0; i < imported; i++) {
        gnutls_x509_crt_deinit(chain[i]);
    }
    return ok ? 0 : -1;
}

int crisync_tls_credentials_apply(struct crisync_tls_credentials *c, void *gnutls_session) {
    gnutls_session_t session = gnutls_session;
    gnutls_session_set_ptr(session, c);
    int rc = gnutls_priority_set(session, c->priorities);
    if (rc < 0) return rc;
    switch (c->client_auth) {
    case CRISYNC_NO_CLIENT_CERT:
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_IGNORE);
        break;
    case CRISYNC_REQUEST_CLIENT_CERT:
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
        break;
    case CRISYNC_REQUIRE_ANY_CLIENT_CERT:
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
        break;
    case CRISYNC_VERIFY_CLIENT_CERT_IF_GIVEN:
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUEST);
        gnutls_session_set_verify_function(session, verify_client_certificate);
        break;
    case CRISYNC_REQUIRE_AND_VERIFY_CLIENT_CERT:
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
        gnutls_session_set_verify_function(session, verify_client_certificate);
        break;
    }
    return 0;
}

/* Serves the chain of the credentials pinned to this session; gnutls does not free them. */
static int retrieve_certificate(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                                const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
                                unsigned int *pcert_length, gnutls_privkey_t *privkey) {
    (void)req_ca_rdn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct crisync_tls_credentials *c = gnutls_session_get_ptr(session);
    if (c == NULL) return -1;
    *pcert = c->chain;
    *pcert_length = c->chain_length;
    *privkey = c->key;
    return 0;
}

void *crisync_tls_certificate_callback(void) {
    return (void *)&retrieve_certificate;
}
