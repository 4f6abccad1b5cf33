// Splitting and merging TCP super-packets for TUN offloads; see tun_offload.h.
//
// Checksums are one's-complement sums of native-order words (RFC 1071: the sum
// does not depend on byte order), so values read from and written to packets
// never need swapping, and 32-bit loads summed into 64 bits fold to the same
// 16-bit sum as 16-bit loads.
#include "tun_offload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define IPV4_HEADER_MIN 20
#define IPV6_HEADER_LEN 40
#define TCP_HEADER_MIN 20
#define TCP_CHECKSUM_OFFSET 16

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

static uint16_t load16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t load32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void store16(uint8_t *p, uint32_t value) {
  p[0] = (uint8_t)(value >> 8);
  p[1] = (uint8_t)value;
}

static void store32(uint8_t *p, uint32_t value) {
  store16(p, value >> 16);
  store16(p + 2, value);
}

static uint64_t sum_words(const uint8_t *p, size_t n, uint64_t acc) {
  uint32_t word;
  for (; n >= 4; p += 4, n -= 4) {
    memcpy(&word, p, 4);
    acc += word;
  }
  uint16_t half = 0;
  if (n >= 2) {
    memcpy(&half, p, 2);
    acc += half;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // The odd byte is summed as if followed by a zero byte.
    half = 0;
    memcpy(&half, p, 1);
    acc += half;
  }
  return acc;
}

static uint16_t fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)acc;
}

// The native-order 16-bit value whose bytes in memory are `value` big-endian.
static uint64_t network_word(uint16_t value) {
  return htons(value);
}

static uint64_t pseudo_header_sum(const tcp_packet_t *tcp, size_t tcp_len) {
  uint64_t acc = tcp->ipv6 ? sum_words(tcp->packet + 8, 32, 0) : sum_words(tcp->packet + 12, 8, 0);
  return acc + network_word(IPPROTO_TCP) + network_word((uint16_t)tcp_len);
}

static void store_checksum(uint8_t *field, uint16_t checksum) {
  memcpy(field, &checksum, 2);
}

static void set_ipv4_checksum(uint8_t *ip, size_t header_len) {
  store16(ip + 10, 0);
  store_checksum(ip + 10, (uint16_t)~fold(sum_words(ip, header_len, 0)));
}

// Finds the IP and TCP headers of an unfragmented TCP packet whose IP length
// matches `length`. Nothing is read before its bound is checked.
static bool parse_tcp(const uint8_t *packet, size_t length, tcp_packet_t *tcp) {
  if (length < IPV4_HEADER_MIN || length > MAX_IP_PACKET) return false;
  unsigned version = packet[0] >> 4;
  if (version == 4) {
    tcp->ipv6 = false;
    tcp->ip_header_len = (size_t)(packet[0] & 0x0f) * 4;
    bool fragment = (load16(packet + 6) & 0x3fff) != 0;
    if (tcp->ip_header_len < IPV4_HEADER_MIN || load16(packet + 2) != length || packet[9] != IPPROTO_TCP ||
        fragment) {
      return false;
    }
  } else if (version == 6) {
    tcp->ipv6 = true;
    tcp->ip_header_len = IPV6_HEADER_LEN;
    if (length < IPV6_HEADER_LEN || (size_t)load16(packet + 4) + IPV6_HEADER_LEN != length || packet[6] != IPPROTO_TCP) {
      return false;
    }
  } else {
    return false;
  }
  if (tcp->ip_header_len + TCP_HEADER_MIN > length) return false;
  const uint8_t *th = packet + tcp->ip_header_len;
  size_t tcp_header_len = (size_t)(th[12] >> 4) * 4;
  if (tcp_header_len < TCP_HEADER_MIN || tcp->ip_header_len + tcp_header_len > length) return false;
  tcp->packet = packet;
  tcp->length = length;
  tcp->header_len = tcp->ip_header_len + tcp_header_len;
  tcp->payload_len = length - tcp->header_len;
  tcp->seq = load32(th + 4);
  tcp->flags = th[13];
  return true;
}

static bool gso_type_matches(uint8_t gso_type, bool ipv6) {
  // ECN needs nothing beyond what every split does: CWR stays on the first segment only.
  uint8_t type = gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
  return type == (ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
}

bool gso_split_begin(gso_split_t *split, const struct virtio_net_hdr *hdr, const uint8_t *packet, size_t length) {
  tcp_packet_t *tcp = &split->tcp;
  if (!parse_tcp(packet, length, tcp) || !gso_type_matches(hdr->gso_type, tcp->ipv6)) return false;
  if (hdr->gso_size == 0 || tcp->payload_len == 0) return false;
  // The checksum the kernel asks for must be the TCP one, which each segment gets anyway.
  if ((hdr->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
      (hdr->csum_start != tcp->ip_header_len || hdr->csum_offset != TCP_CHECKSUM_OFFSET)) {
    return false;
  }
  split->gso_size = hdr->gso_size;
  split->next_payload = 0;
  split->next_index = 0;
  return true;
}

static size_t next_payload_len(const gso_split_t *split) {
  size_t left = split->tcp.payload_len - split->next_payload;
  return left < split->gso_size ? left : split->gso_size;
}

size_t gso_split_next_len(const gso_split_t *split) {
  return split->tcp.header_len + next_payload_len(split);
}

// Length, ID and header checksum (IPv4) or payload length (IPv6) of one segment.
static void fix_ip_header(const gso_split_t *split, uint8_t *out, size_t length) {
  const tcp_packet_t *tcp = &split->tcp;
  if (tcp->ipv6) {
    store16(out + 4, (uint32_t)(length - IPV6_HEADER_LEN));
    return;
  }
  store16(out + 2, (uint32_t)length);
  store16(out + 4, load16(tcp->packet + 4) + split->next_index);
  set_ipv4_checksum(out, tcp->ip_header_len);
}

size_t gso_split_next(gso_split_t *split, uint8_t *out) {
  const tcp_packet_t *tcp = &split->tcp;
  size_t payload = next_payload_len(split);
  size_t length = tcp->header_len + payload;
  bool last = split->next_payload + payload >= tcp->payload_len;
  memcpy(out, tcp->packet, tcp->header_len);
  memcpy(out + tcp->header_len, tcp->packet + tcp->header_len + split->next_payload, payload);
  fix_ip_header(split, out, length);

  uint8_t *th = out + tcp->ip_header_len;
  uint8_t flags = tcp->flags;
  if (!last) flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
  if (split->next_index > 0) flags &= (uint8_t)~TCP_CWR;
  th[13] = flags;
  store32(th + 4, tcp->seq + (uint32_t)split->next_payload);
  store16(th + TCP_CHECKSUM_OFFSET, 0);
  size_t tcp_len = length - tcp->ip_header_len;
  uint64_t acc = sum_words(th, tcp_len, pseudo_header_sum(tcp, tcp_len));
  store_checksum(th + TCP_CHECKSUM_OFFSET, (uint16_t)~fold(acc));

  split->next_payload += payload;
  split->next_index++;
  return length;
}

bool complete_checksum(uint8_t *packet, size_t length, uint16_t csum_start, uint16_t csum_offset) {
  // An odd offset would put the field across the word boundaries of the sum.
  if ((csum_offset & 1) != 0 || (size_t)csum_start + csum_offset + 2 > length) return false;
  // The field holds the pseudo-header sum already, so it is summed with the rest.
  uint16_t checksum = (uint16_t)~fold(sum_words(packet + csum_start, length - csum_start, 0));
  // 0 means "no checksum" to UDP; 0xffff is the same sum in one's complement.
  store_checksum(packet + csum_start + csum_offset, checksum == 0 ? 0xffff : checksum);
  return true;
}

static bool checksums_valid(const tcp_packet_t *tcp) {
  size_t tcp_len = tcp->length - tcp->ip_header_len;
  uint64_t acc = sum_words(tcp->packet + tcp->ip_header_len, tcp_len, pseudo_header_sum(tcp, tcp_len));
  bool ip_valid = tcp->ipv6 || fold(sum_words(tcp->packet, tcp->ip_header_len, 0)) == 0xffff;
  return ip_valid && fold(acc) == 0xffff;
}

bool parse_coalescable(const uint8_t *packet, size_t length, tcp_packet_t *tcp) {
  if (!parse_tcp(packet, length, tcp)) return false;
  bool options = !tcp->ipv6 && tcp->ip_header_len != IPV4_HEADER_MIN;
  bool plain_ack = (tcp->flags & TCP_ACK) && (tcp->flags & (uint8_t)~(TCP_ACK | TCP_PSH)) == 0;
  return !options && plain_ack && tcp->payload_len > 0 && checksums_valid(tcp);
}

void gro_run_start(gro_run_t *run, const tcp_packet_t *first) {
  run->first = *first;
  run->count = 1;
  run->total_len = first->length;
  run->next_seq = first->seq + (uint32_t)first->payload_len;
  run->psh = (first->flags & TCP_PSH) != 0;
  run->closed = run->psh;
}

static bool same_bytes(const tcp_packet_t *a, const tcp_packet_t *b, size_t from, size_t to) {
  return memcmp(a->packet + from, b->packet + from, to - from) == 0;
}

// Every IP header field but length, ID and checksum (IPv4 options are refused).
static bool same_ip_fields(const tcp_packet_t *a, const tcp_packet_t *b) {
  if (a->ipv6) return same_bytes(a, b, 0, 4) && same_bytes(a, b, 6, IPV6_HEADER_LEN);
  return same_bytes(a, b, 0, 2) && same_bytes(a, b, 6, 10) && same_bytes(a, b, 12, IPV4_HEADER_MIN);
}

// Ports, ACK, header length, window and options; flags may differ in PSH only.
static bool same_tcp_fields(const tcp_packet_t *a, const tcp_packet_t *b) {
  size_t th = a->ip_header_len;
  return same_bytes(a, b, th, th + 4) && same_bytes(a, b, th + 8, th + 13) && same_bytes(a, b, th + 14, th + 16) &&
         same_bytes(a, b, th + TCP_HEADER_MIN, a->header_len) &&
         ((a->flags ^ b->flags) & (uint8_t)~TCP_PSH) == 0;
}

bool gro_run_append(gro_run_t *run, const tcp_packet_t *next) {
  const tcp_packet_t *first = &run->first;
  if (run->closed || run->count >= MAX_COALESCED_SEGMENTS || next->ipv6 != first->ipv6 ||
      next->header_len != first->header_len || next->seq != run->next_seq ||
      next->payload_len > first->payload_len || run->total_len + next->payload_len > MAX_IP_PACKET ||
      !same_ip_fields(first, next) || !same_tcp_fields(first, next)) {
    return false;
  }
  run->count++;
  run->total_len += next->payload_len;
  run->next_seq += (uint32_t)next->payload_len;
  run->psh = (next->flags & TCP_PSH) != 0;
  run->closed = run->psh || next->payload_len < first->payload_len;
  return true;
}

void gro_run_headers(const gro_run_t *run, struct virtio_net_hdr *hdr, uint8_t *headers) {
  const tcp_packet_t *first = &run->first;
  memcpy(headers, first->packet, first->header_len);
  if (first->ipv6) {
    store16(headers + 4, (uint32_t)(run->total_len - IPV6_HEADER_LEN));
  } else {
    store16(headers + 2, (uint32_t)run->total_len);
    set_ipv4_checksum(headers, first->ip_header_len);
  }
  uint8_t *th = headers + first->ip_header_len;
  th[13] = (uint8_t)((first->flags & ~TCP_PSH) | (run->psh ? TCP_PSH : 0));
  // NEEDS_CSUM: the kernel expects the pseudo-header sum, not complemented, and
  // finishes the checksum itself only if the packet ever leaves the machine.
  size_t tcp_len = run->total_len - first->ip_header_len;
  store_checksum(th + TCP_CHECKSUM_OFFSET, fold(pseudo_header_sum(first, tcp_len)));

  memset(hdr, 0, sizeof *hdr);
  hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  hdr->gso_type = first->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
  hdr->hdr_len = (uint16_t)first->header_len;
  hdr->gso_size = (uint16_t)first->payload_len;
  hdr->csum_start = (uint16_t)first->ip_header_len;
  hdr->csum_offset = TCP_CHECKSUM_OFFSET;
}
