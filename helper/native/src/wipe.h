// Wiping secrets from memory that is about to be reused or released. The
// crypto addon has no link-time dependency on OpenSSL, so OPENSSL_cleanse is
// not an option; the libc's own wiping store is, which the compiler may not
// remove as dead: explicit_bzero in glibc 2.25+ (declared under _GNU_SOURCE)
// and the BSDs, memset_s (C11 Annex K, which macOS's string.h declares
// outside strict standard modes) on macOS, SecureZeroMemory on Windows.
#ifndef WIREFLY_WIPE_H
#define WIREFLY_WIPE_H

#include <stddef.h>
#include <string.h>
#if defined(_WIN32)
#include <windows.h>
#endif

static inline void wipe(void *bytes, size_t length) {
#if defined(__APPLE__)
  (void)memset_s(bytes, length, 0, length);
#elif defined(_WIN32)
  SecureZeroMemory(bytes, length);
#else
  explicit_bzero(bytes, length);
#endif
}

#endif
