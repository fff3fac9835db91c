/* Shared by the native bench programs: clocks, CPU time, payload layout, an HDR-style histogram.
 *
 * Payload layout (little-endian): bytes 0..7 sequence number (0-based), bytes 8..15 the
 * publisher's CLOCK_MONOTONIC at publish time in ns (publisher and subscriber run on the same
 * machine, so the clocks agree); the rest is filler. Payloads are at least 16 bytes. */
#ifndef NB_COMMON_H
#define NB_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

static inline int64_t nb_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void nb_put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint64_t nb_get_u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static inline void nb_cpu_us(int64_t *user, int64_t *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
  *sys = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
}

/* HDR-style log-linear histogram of nanosecond values: one row per power of two, 2^SUB_BITS
 * linear sub-buckets per row, so every recorded value is kept within 1/2^SUB_BITS (< 0.8%)
 * relative error from 1 ns to 2^63 ns, in fixed memory, O(1) per record. */
#define NB_SUB_BITS 7
#define NB_SUB (1 << NB_SUB_BITS)
#define NB_ROWS 64

typedef struct {
  uint64_t counts[NB_ROWS][NB_SUB];
  uint64_t total;
  int64_t min, max;
  double sum;
} nb_hist;

static inline void nb_hist_init(nb_hist *h) { memset(h, 0, sizeof(*h)); h->min = INT64_MAX; }

static inline void nb_hist_index(uint64_t v, int *row, int *sub) {
  if (v < NB_SUB) { *row = 0; *sub = (int)v; return; }
  int msb = 63 - __builtin_clzll(v);           /* >= NB_SUB_BITS */
  int shift = msb - NB_SUB_BITS;               /* keep the NB_SUB_BITS bits below the top one */
  *row = shift + 1;
  *sub = (int)((v >> shift) & (NB_SUB - 1));
}

/* Highest value that falls into (row, sub): HDR reports the bucket's upper edge. */
static inline uint64_t nb_hist_upper(int row, int sub) {
  if (row == 0) return (uint64_t)sub;
  int shift = row - 1;
  uint64_t base = ((uint64_t)NB_SUB | (uint64_t)sub) << shift;
  return base + ((1ULL << shift) - 1);
}

static inline void nb_hist_record(nb_hist *h, int64_t v) {
  if (v < 0) v = 0;
  int row, sub;
  nb_hist_index((uint64_t)v, &row, &sub);
  h->counts[row][sub]++;
  h->total++;
  h->sum += (double)v;
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
}

static inline int64_t nb_hist_pct(const nb_hist *h, double pct) {
  if (h->total == 0) return 0;
  uint64_t want = (uint64_t)((pct / 100.0) * (double)h->total + 0.5);
  if (want < 1) want = 1;
  if (want > h->total) want = h->total;
  uint64_t seen = 0;
  for (int r = 0; r < NB_ROWS; r++)
    for (int s = 0; s < NB_SUB; s++) {
      seen += h->counts[r][s];
      if (seen >= want) {
        uint64_t up = nb_hist_upper(r, s);
        return (int64_t)(up > (uint64_t)h->max ? (uint64_t)h->max : up);
      }
    }
  return h->max;
}

/* Minimal argument parsing: --name value. */
static inline const char *nb_arg(int argc, char **argv, const char *name, const char *dflt) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0) return argv[i + 1];
  return dflt;
}

/* JSON-like filler for the compressed paths: telemetry/order events as services publish them
 * (a fixed schema, names and enums from small vocabularies, random ids, amounts, coordinates and
 * times), written into dst[0..n) and cut at n. Deterministic from *rng (xorshift64*), so every
 * run compresses the same text. Not one repeated byte: about what real JSON traffic gives a
 * byte-oriented compressor. */
static inline uint64_t nb_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static inline void nb_json_fill(unsigned char *dst, size_t n, uint64_t *rng) {
  static const char *types[] = { "order.created", "order.paid", "order.shipped", "sensor.reading", "user.login", "cart.updated" };
  static const char *sites[] = { "eu-west-1", "eu-central-1", "us-east-2", "ap-south-1" };
  static const char *first[] = { "anna", "ben", "carla", "dmitri", "emma", "farid", "greta", "hiro", "ines", "jon" };
  static const char *last[] = { "schmidt", "garcia", "kowalski", "tanaka", "okafor", "rossi", "larsen", "novak" };
  static const char *status[] = { "ok", "pending", "failed", "retry" };
  static const char *tags[] = { "priority", "gift", "express", "b2b", "promo", "mobile", "web", "returning" };
  char rec[1024];
  size_t at = 0;
  int open = snprintf(rec, sizeof rec, "{\"schema\":\"events.v3\",\"batch\":[");
  memcpy(dst, rec, (size_t)open < n ? (size_t)open : n);
  at = (size_t)open < n ? (size_t)open : n;
  while (at < n) {
    uint64_t r1 = nb_rand(rng), r2 = nb_rand(rng), r3 = nb_rand(rng), r4 = nb_rand(rng);
    const char *f = first[r2 % 10], *l = last[(r2 >> 8) % 8];
    int len = snprintf(rec, sizeof rec,
      "{\"id\":\"%016llx\",\"ts\":\"2026-12-02T%02u:%02u:%02u.%03uZ\",\"type\":\"%s\",\"site\":\"%s\",\"host\":\"node-%03u\","
      "\"user\":{\"id\":%u,\"name\":\"%s %s\",\"email\":\"%s.%s@example.com\"},\"amount\":%u.%02u,\"currency\":\"EUR\","
      "\"items\":%u,\"geo\":{\"lat\":%u.%06u,\"lon\":%u.%06u},\"status\":\"%s\",\"tags\":[\"%s\",\"%s\"]},",
      (unsigned long long)r1, (unsigned)(r3 % 24), (unsigned)((r3 >> 5) % 60), (unsigned)((r3 >> 11) % 60), (unsigned)((r3 >> 17) % 1000),
      types[(r3 >> 27) % 6], sites[(r3 >> 30) % 4], (unsigned)((r3 >> 32) % 200),
      (unsigned)(r4 % 1000000), f, l, f, l, (unsigned)((r4 >> 20) % 5000), (unsigned)((r4 >> 33) % 100),
      (unsigned)(1 + (r4 >> 40) % 9), (unsigned)(35 + (r2 >> 16) % 25), (unsigned)((r2 >> 24) % 1000000),
      (unsigned)((r2 >> 44) % 30), (unsigned)((r1 >> 7) % 1000000), status[(r4 >> 50) % 4], tags[(r4 >> 53) % 8], tags[(r4 >> 57) % 8]);
    size_t k = (size_t)len < n - at ? (size_t)len : n - at;
    memcpy(dst + at, rec, k);
    at += k;
  }
  if (n > 0) dst[n - 1] = '}';
}

#endif
