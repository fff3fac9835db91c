/* Throughput publisher and the sending half of the latency probe: publishes --count messages
 * of --size bytes on --subject, each carrying its sequence number and publish timestamp
 * (common.h), at full speed (--rate 0) or paced to --rate messages per second; then flushes (the server has everything) and prints one JSON
 * line with what it did and the CPU it used. The filler after the 16-byte header is one repeated
 * byte (--payload fill, the default) or JSON-like text (--payload json, common.h's nb_json_fill)
 * for the compressed paths, drawn from a pool of distinct payloads so consecutive messages differ.
 * --subjects N (default 1) publishes on <subject>.0 … <subject>.N-1 in turn instead, so that no
 * two consecutive messages share a subject (subscribe to <subject>.* for all of them). */
#include <nats/nats.h>
#include "common.h"

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure) {
  (void)nc; (void)sub; (void)closure;
  fprintf(stderr, "nb_pub: async error: %s\n", natsStatus_GetText(err));
}

int main(int argc, char **argv) {
  const char *url = nb_arg(argc, argv, "--url", "nats://127.0.0.1:4222");
  const char *subject = nb_arg(argc, argv, "--subject", "bench");
  long long count = atoll(nb_arg(argc, argv, "--count", "100000"));
  int size = atoi(nb_arg(argc, argv, "--size", "128"));
  double rate = atof(nb_arg(argc, argv, "--rate", "0"));
  /* At a fixed rate every message is written at once (a latency probe must not wait for
   * libnats' flusher); at full speed libnats batches, as applications do. */
  /* --pace sleep (default): never busy-wait. On a 2-core machine a spinning probe takes a whole
   * core from the processes it measures, and the path with more processes (two proxies) then
   * queues behind the CPU, not behind its own work. --pace spin: evenly spaced sends. */
  bool spin = strcmp(nb_arg(argc, argv, "--pace", "sleep"), "spin") == 0;
  bool asap = strcmp(nb_arg(argc, argv, "--send-asap", rate > 0 ? "1" : "0"), "1") == 0;
  const char *payload = nb_arg(argc, argv, "--payload", "fill");
  int nsubjects = atoi(nb_arg(argc, argv, "--subjects", "1"));
  if (size < 16 || count <= 0) { fprintf(stderr, "nb_pub: --size must be >= 16 and --count > 0\n"); return 2; }
  if (nsubjects < 1 || nsubjects > 65536) { fprintf(stderr, "nb_pub: --subjects is 1 to 65536\n"); return 2; }
  char **subjects = malloc(sizeof(char *) * (size_t)nsubjects);
  for (int k = 0; k < nsubjects; k++) {
    size_t n = strlen(subject) + 16;
    subjects[k] = malloc(n);
    if (nsubjects == 1) snprintf(subjects[k], n, "%s", subject);
    else snprintf(subjects[k], n, "%s.%d", subject, k);
  }
  bool json = strcmp(payload, "json") == 0;
  if (!json && strcmp(payload, "fill") != 0) { fprintf(stderr, "nb_pub: --payload is fill or json\n"); return 2; }

  natsOptions *opts = NULL;
  natsConnection *nc = NULL;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK) s = natsOptions_SetIOBufSize(opts, 256 * 1024);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_error, NULL);
  if (s == NATS_OK) s = natsOptions_SetSendAsap(opts, asap);
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  if (s != NATS_OK) { fprintf(stderr, "nb_pub: connect %s: %s\n", url, natsStatus_GetText(s)); return 1; }

  /* JSON: a pool of distinct payloads (at most 8 MiB, so a message's twin is never within a
   * compressor's window of it), built before the clock starts. */
  long long pool = json ? (long long)(8 * 1024 * 1024) / size : 1;
  if (pool > 4096) pool = 4096;
  if (pool < 1) pool = 1;
  unsigned char *payloads = malloc((size_t)size * (size_t)pool);
  if (json) {
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    for (long long k = 0; k < pool; k++) nb_json_fill(payloads + (size_t)k * (size_t)size + 16, (size_t)size - 16, &rng);
  } else {
    memset(payloads, 'x', (size_t)size);
  }
  int64_t u0, s0, u1, s1;
  nb_cpu_us(&u0, &s0);
  int64_t start = nb_now_ns();
  double interval = rate > 0 ? 1e9 / rate : 0;
  for (long long i = 0; i < count && s == NATS_OK; i++) {
    int64_t now = nb_now_ns();
    if (interval > 0) {
      int64_t due = start + (int64_t)(interval * (double)i);
      if (spin) {
        if (due > now + 20000) {
          /* Sleep most of the gap, spin the rest: nanosleep alone overshoots by ~50 µs. */
          struct timespec ts = { .tv_sec = (due - 10000) / 1000000000LL, .tv_nsec = (due - 10000) % 1000000000LL };
          clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        }
        while ((now = nb_now_ns()) < due) { /* spin */ }
      } else if (due > now) {
        /* Sleep until due; the timer's slack (~50 µs) makes the messages that became due
         * meanwhile go out back to back, each stamped when it is really sent. */
        struct timespec ts = { .tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL };
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        now = nb_now_ns();
      }
    }
    unsigned char *buf = payloads + (size_t)(i % pool) * (size_t)size;
    nb_put_u64(buf, (uint64_t)i);
    nb_put_u64(buf + 8, (uint64_t)now);
    s = natsConnection_Publish(nc, subjects[i % nsubjects], buf, size);
  }
  int64_t published_at = nb_now_ns();
  if (s == NATS_OK) s = natsConnection_FlushTimeout(nc, 120000);
  int64_t end = nb_now_ns();
  nb_cpu_us(&u1, &s1);
  printf("{\"published\":%lld,\"size\":%d,\"payload\":\"%s\",\"rate\":%.0f,\"start_ns\":%lld,\"published_ns\":%lld,\"flushed_ns\":%lld,"
         "\"cpu_user_us\":%lld,\"cpu_sys_us\":%lld,\"status\":\"%s\"}\n",
         count, size, payload, rate, (long long)start, (long long)(published_at - start), (long long)(end - start),
         (long long)(u1 - u0), (long long)(s1 - s0), natsStatus_GetText(s));
  fflush(stdout);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  free(payloads);
  for (int k = 0; k < nsubjects; k++) free(subjects[k]);
  free(subjects);
  nats_Close();
  return s == NATS_OK ? 0 : 1;
}
