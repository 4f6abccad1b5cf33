// Wiping secrets from memory that is about to be reused or released. The
// crypto addon has no link-time dependency on OpenSSL, so OPENSSL_cleanse is
// not an option; explicit_bzero (glibc 2.25+, declared under _GNU_SOURCE) is
// the libc's own store that the compiler may not remove as dead.
#ifndef WIREFLY_WIPE_H
#define WIREFLY_WIPE_H

#include <stddef.h>
#include <string.h>

static inline void wipe(void *bytes, size_t length) {
  explicit_bzero(bytes, length);
}

#endif
