#include "crisync_auth.h"
#include <crypt.h>
#include <nettle/hmac.h>
#include <stdlib.h>
#include <string.h>

/* crypt_rn's state is 32 KiB: on the heap, since this runs on libmicrohttpd's threads and only
   on the slow path (a credential not seen before). */
int crisync_password_matches(const unsigned char *password, size_t password_len, const char *hash) {
    if (password == NULL || hash == NULL || memchr(password, 0, password_len) != NULL) {
        return 0;
    }
    char *phrase = malloc(password_len + 1);
    struct crypt_data *data = calloc(1, sizeof(struct crypt_data));
    int matches = 0;
    if (phrase != NULL && data != NULL) {
        memcpy(phrase, password, password_len);
        phrase[password_len] = 0;
        const char *computed = crypt_rn(phrase, hash, data, (int)sizeof(struct crypt_data));
        size_t hash_len = strlen(hash);
        /* A failed crypt_rn returns NULL or a string starting with '*', which never equals a hash. */
        if (computed != NULL && computed[0] != '*' && strlen(computed) == hash_len) {
            unsigned char difference = 0;
            for (size_t i = 0; i < hash_len; i++) {
                difference |= (unsigned char)computed[i] ^ (unsigned char)hash[i];
            }
            matches = difference == 0;
        }
        explicit_bzero(phrase, password_len);
        explicit_bzero(data, sizeof(struct crypt_data));
    }
    free(phrase);
    free(data);
    return matches;
}

static int is_bcrypt_alphabet(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
}

int crisync_is_bcrypt_hash(const char *hash) {
    if (hash == NULL || strlen(hash) != 60) {
        return 0;
    }
    if (hash[0] != '$' || hash[1] != '2' || (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$') {
        return 0;
    }
    if (hash[4] < '0' || hash[4] > '3' || hash[5] < '0' || hash[5] > '9' || hash[6] != '$') {
        return 0;
    }
    int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    if (cost < 4 || cost > 31) {
        return 0;
    }
    for (int i = 7; i < 60; i++) {
        if (!is_bcrypt_alphabet(hash[i])) {
            return 0;
        }
    }
    return 1;
}

/* nettle's HMAC keeps its state on the stack: no allocation on the per-request path. */
int crisync_hmac_sha256(const unsigned char *key, size_t key_len,
                        const unsigned char *part1, size_t part1_len,
                        const unsigned char *part2, size_t part2_len,
                        const unsigned char *part3, size_t part3_len,
                        unsigned char out[32]) {
    struct hmac_sha256_ctx context;
    hmac_sha256_set_key(&context, key_len, key);
    if (part1_len > 0) hmac_sha256_update(&context, part1_len, part1);
    if (part2_len > 0) hmac_sha256_update(&context, part2_len, part2);
    if (part3_len > 0) hmac_sha256_update(&context, part3_len, part3);
    hmac_sha256_digest(&context, SHA256_DIGEST_SIZE, out);
    explicit_bzero(&context, sizeof(context));
    return 0;
}
