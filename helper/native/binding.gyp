{
  "targets": [
    {
      "target_name": "wirefly_native",
      "sources": ["src/addon.c", "src/napi_util.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wshadow", "-Wconversion", "-Wno-sign-conversion"],
      "conditions": [
        ["OS=='linux'", {"sources": ["src/tun_linux.c", "src/tun_offload.c", "src/udp_linux.c", "src/udp_binding.c", "src/netlink_linux.c", "src/route_linux.c", "src/udp_probe_linux.c", "src/clock_linux.c"]}]
      ]
    },
    {
      "target_name": "wirefly_aead",
      "sources": [
        "src/aead.c", "src/aead_openssl.c", "src/openssl_host.c", "src/chacha20poly1305.c", "src/chacha20_avx2.c", "src/poly1305_avx2.c",
        "src/x25519.c", "src/x25519_base.c", "src/x25519_ifma.c", "src/x25519_ladder.c", "src/blake2s.c", "src/cookie.c", "src/napi_util.c"
      ],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wshadow", "-Wconversion", "-Wno-sign-conversion"]
    }
  ]
}
