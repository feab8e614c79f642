#ifndef CRISYNC_AUTH_H
#define CRISYNC_AUTH_H
#include <stddef.h>

/* Basic-auth primitives: bcrypt through the system's crypt (libxcrypt), HMAC-SHA-256 through
   nettle. Kept in C so Swift never handles crypt's 32 KiB state or nettle's contexts. */

/* 1 when the password matches the crypt(3) hash, compared in constant time; 0 otherwise (also
   for a password containing NUL, or a hash crypt does not understand). Takes ~2^cost bcrypt
   rounds: tens of milliseconds at cost 10. */
int crisync_password_matches(const unsigned char *password, size_t password_len, const char *hash);

/* 1 when `hash` is a well-formed bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31, 53 characters of
   salt and digest) that this libcrypt can evaluate; 0 otherwise. */
int crisync_is_bcrypt_hash(const char *hash);

/* HMAC-SHA-256 over the concatenation of up to three parts; 0 on success. */
int crisync_hmac_sha256(const unsigned char *key, size_t key_len,
                        const unsigned char *part1, size_t part1_len,
                        const unsigned char *part2, size_t part2_len,
                        const unsigned char *part3, size_t part3_len,
                        unsigned char out[32]);

#endif
