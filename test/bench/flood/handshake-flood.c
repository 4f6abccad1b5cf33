// A handshake flood for the benchmark: sends prepared WireGuard handshake
// initiations (valid MAC1, as anyone who knows the server's public key can
// make them) from spoofed IPv4 sources, at a fixed rate for a fixed time,
// through a raw socket. Bounded by its arguments; the benchmark runs it only
// inside a namespace of its own whose routes lead to the server under test.
//
// usage: handshake-flood MESSAGES DEST_IP DEST_PORT SOURCE_NET_/16 RATE SECONDS
//   MESSAGES  a file of 148-byte initiations, sent round robin
//   SOURCE_NET the first two octets of the spoofed sources, e.g. 10.200
// Prints one line: the number of datagrams sent.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { INITIATION_BYTES = 148, MAX_MESSAGES = 65536, BATCH = 64, MAX_RATE = 1000000, MAX_SECONDS = 60 };

typedef struct {
  struct iphdr ip;
  struct udphdr udp;
  uint8_t payload[INITIATION_BYTES];
} __attribute__((packed)) datagram_t;

static uint16_t checksum(const void *data, size_t length) {
  const uint8_t *bytes = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
  if (length & 1) sum += (uint32_t)bytes[length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

static uint32_t next_random(uint32_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 17;
  *state ^= *state << 5;
  return *state;
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_until(double when) {
  struct timespec t = {.tv_sec = (time_t)when, .tv_nsec = (long)((when - (double)(time_t)when) * 1e9)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
  }
}

static size_t read_messages(const char *path, uint8_t **messages) {
  FILE *file = fopen(path, "rb");
  if (!file) return 0;
  *messages = malloc((size_t)MAX_MESSAGES * INITIATION_BYTES);
  size_t count = *messages ? fread(*messages, INITIATION_BYTES, MAX_MESSAGES, file) : 0;
  fclose(file);
  return count;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s MESSAGES DEST_IP DEST_PORT SOURCE_NET_/16 RATE SECONDS\n", argv[0]);
    return 2;
  }
  uint8_t *messages = NULL;
  const size_t message_count = read_messages(argv[1], &messages);
  struct in_addr destination, source_net;
  char source_text[32];
  snprintf(source_text, sizeof source_text, "%s.0.0", argv[4]);
  const long port = strtol(argv[3], NULL, 10), rate = strtol(argv[5], NULL, 10), seconds = strtol(argv[6], NULL, 10);
  if (message_count == 0 || inet_pton(AF_INET, argv[2], &destination) != 1 || inet_pton(AF_INET, source_text, &source_net) != 1 ||
      port < 1 || port > 65535 || rate < 1 || rate > MAX_RATE || seconds < 1 || seconds > MAX_SECONDS) {
    fprintf(stderr, "%s: bad arguments or no messages in %s\n", argv[0], argv[1]);
    return 2;
  }
  const int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) {
    perror("raw socket");
    return 1;
  }
  static datagram_t datagrams[BATCH];
  struct iovec iovecs[BATCH];
  struct mmsghdr headers[BATCH];
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = destination};
  for (int i = 0; i < BATCH; i++) {
    iovecs[i] = (struct iovec){.iov_base = &datagrams[i], .iov_len = sizeof(datagram_t)};
    headers[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iovecs[i], .msg_iovlen = 1}};
  }
  const uint64_t total = (uint64_t)rate * (uint64_t)seconds;
  const double start = now_seconds();
  uint32_t random_state = 0x9e3779b9;
  uint64_t sent = 0, next = 0;
  while (next < total) {
    int batch = 0;
    // Sends what is due by now, at most a batch at a time; then sleeps until the next is due.
    const uint64_t due = (uint64_t)((now_seconds() - start) * (double)rate) + 1;
    for (; batch < BATCH && next < total && next < due; batch++, next++) {
      datagram_t *d = &datagrams[batch];
      const uint32_t r = next_random(&random_state);
      memset(&d->ip, 0, sizeof d->ip);
      d->ip.version = 4;
      d->ip.ihl = 5;
      d->ip.ttl = 64;
      d->ip.protocol = IPPROTO_UDP;
      d->ip.tot_len = htons(sizeof(datagram_t));
      d->ip.saddr = source_net.s_addr | htonl(r & 0xffff);
      d->ip.daddr = destination.s_addr;
      d->ip.check = checksum(&d->ip, sizeof d->ip);
      d->udp.source = htons((uint16_t)(1024 + (r >> 16) % 60000));
      d->udp.dest = htons((uint16_t)port);
      d->udp.len = htons(sizeof(struct udphdr) + INITIATION_BYTES);
      d->udp.check = 0;  // no checksum, which IPv4 allows
      memcpy(d->payload, messages + (next % message_count) * INITIATION_BYTES, INITIATION_BYTES);
    }
    if (batch > 0) {
      const int n = sendmmsg(fd, headers, (unsigned)batch, 0);
      if (n > 0) sent += (uint64_t)n;
    } else {
      sleep_until(start + (double)next / (double)rate);
    }
  }
  printf("%llu\n", (unsigned long long)sent);
  free(messages);
  close(fd);
  return 0;
}
