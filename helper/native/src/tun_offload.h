// TUN offloads without the device: splitting the TCP super-packets the kernel
// hands over with a virtio_net_hdr into plain IP packets (as its own GSO would
// segment them), completing checksums it left partial, and recognising runs of
// TCP segments that can be written back as one super-packet (as its GRO would
// merge them). Pure functions over caller-owned buffers; every header field is
// checked before it is used, since a header from a buggy kernel (or a test)
// must never lead out of bounds.
#ifndef WIREFLY_TUN_OFFLOAD_H
#define WIREFLY_TUN_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)
// The largest IP packet a TUN device reads or writes, super-packets included.
#define MAX_IP_PACKET 65535
// The most segments merged into one written super-packet, as Linux GRO's limit.
#define MAX_COALESCED_SEGMENTS 64
// IPv6 header plus the largest TCP header; IPv4 (options refused) is smaller.
#define MAX_TCP_HEADERS (40 + 60)

// One TCP/IP packet as the offload code reads it: where the headers end and
// the fields that decide whether it may be split or merged.
typedef struct {
  const uint8_t *packet;
  size_t length;
  size_t ip_header_len;
  size_t header_len;  // IP + TCP headers
  size_t payload_len;
  bool ipv6;
  uint32_t seq;
  uint8_t flags;
} tcp_packet_t;

// A super-packet being split; segments are taken in order, possibly across
// several batches.
typedef struct {
  tcp_packet_t tcp;
  size_t gso_size;
  size_t next_payload;  // offset into the payload of the next segment
  uint32_t next_index;
} gso_split_t;

// Validates a super-packet (the vnet header's gso_type is TCPV4 or TCPV6, with
// or without the ECN bit) and prepares its split. False if it is malformed.
bool gso_split_begin(gso_split_t *split, const struct virtio_net_hdr *hdr, const uint8_t *packet, size_t length);

static inline bool gso_split_done(const gso_split_t *split) {
  return split->next_payload >= split->tcp.payload_len;
}

// Size of the next segment as an IP packet.
size_t gso_split_next_len(const gso_split_t *split);

// Writes the next segment, a complete IP packet with valid checksums, to `out`
// (room for gso_split_next_len bytes) and returns its length.
size_t gso_split_next(gso_split_t *split, uint8_t *out);

// Completes the checksum the kernel left partial (NEEDS_CSUM) in a packet that
// is not split. False if csum_start/csum_offset do not fit the packet.
bool complete_checksum(uint8_t *packet, size_t length, uint16_t csum_start, uint16_t csum_offset);

// Recognises a TCP packet that may join a merged run: IPv4 without options or
// fragmentation, or IPv6 without extension headers; ACK (and PSH) only; some
// payload; valid IP and TCP checksums. False for anything else.
bool parse_coalescable(const uint8_t *packet, size_t length, tcp_packet_t *tcp);

// A run of segments of one flow being merged for a write.
typedef struct {
  tcp_packet_t first;
  uint32_t count;
  size_t total_len;  // of the merged IP packet
  uint32_t next_seq;
  bool psh;     // the last segment has PSH, which the merged packet then carries
  bool closed;  // the last segment was short or had PSH: nothing may follow
} gro_run_t;

void gro_run_start(gro_run_t *run, const tcp_packet_t *first);

// Appends `next` if it continues the run exactly; false (run unchanged) if not.
bool gro_run_append(gro_run_t *run, const tcp_packet_t *next);

// Builds the vnet header and the merged packet's headers (length, IPv4 header
// checksum, PSH from the last segment, pseudo-header sum in the TCP checksum
// field) into `headers`, which has room for MAX_TCP_HEADERS. The payloads of
// the segments follow these headers unchanged.
void gro_run_headers(const gro_run_t *run, struct virtio_net_hdr *hdr, uint8_t *headers);

#endif
