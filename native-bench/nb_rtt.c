/* Request/reply latency probe (head-of-line scenario): a responder connected to --rep-url
 * (site B) answers on --subject, a requester connected to --req-url (site A) sends --count
 * sequential requests of --size bytes and records each round trip in the HDR-style histogram.
 * Both connections live in this one process, so no second program has to be coordinated.
 * Before measuring it retries one request until the responder's interest has crossed the path
 * (up to --warmup-ms). Stops after --count requests or --duration-ms, whichever comes first (a
 * path that is slow under load would otherwise stretch the run). Prints one JSON line. */
#include <nats/nats.h>
#include "common.h"

static void on_request(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  (void)sub; (void)closure;
  const char *reply = natsMsg_GetReply(msg);
  if (reply) natsConnection_Publish(nc, reply, natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

static natsStatus connect_to(const char *url, natsConnection **nc, natsOptions **opts) {
  natsStatus s = natsOptions_Create(opts);
  if (s == NATS_OK) s = natsOptions_SetURL(*opts, url);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(*opts, false);
  /* Write each request and reply at once: libnats' flusher thread would otherwise add up to
   * ~1 ms per hop, hiding the path's own latency. */
  if (s == NATS_OK) s = natsOptions_SetSendAsap(*opts, true);
  if (s == NATS_OK) s = natsConnection_Connect(nc, *opts);
  return s;
}

int main(int argc, char **argv) {
  const char *req_url = nb_arg(argc, argv, "--req-url", "nats://127.0.0.1:4222");
  const char *rep_url = nb_arg(argc, argv, "--rep-url", "nats://127.0.0.1:4222");
  const char *subject = nb_arg(argc, argv, "--subject", "rtt");
  long long count = atoll(nb_arg(argc, argv, "--count", "1000"));
  int size = atoi(nb_arg(argc, argv, "--size", "128"));
  int timeout_ms = atoi(nb_arg(argc, argv, "--timeout-ms", "5000"));
  int warmup_ms = atoi(nb_arg(argc, argv, "--warmup-ms", "15000"));
  long long duration_ms = atoll(nb_arg(argc, argv, "--duration-ms", "0"));
  if (count <= 0 || size < 16) { fprintf(stderr, "nb_rtt: --count > 0 and --size >= 16\n"); return 2; }
  unsigned char *payload = calloc((size_t)size, 1);
  memset(payload + 16, 'r', (size_t)size - 16);
  static nb_hist hist;
  nb_hist_init(&hist);

  natsOptions *ro = NULL, *qo = NULL;
  natsConnection *rep = NULL, *req = NULL;
  natsSubscription *sub = NULL;
  natsStatus s = connect_to(rep_url, &rep, &ro);
  if (s == NATS_OK) s = natsConnection_Subscribe(&sub, rep, subject, on_request, NULL);
  if (s == NATS_OK) s = natsConnection_FlushTimeout(rep, 10000);
  if (s != NATS_OK) { fprintf(stderr, "nb_rtt: responder %s: %s\n", rep_url, natsStatus_GetText(s)); return 1; }
  s = connect_to(req_url, &req, &qo);
  if (s != NATS_OK) { fprintf(stderr, "nb_rtt: requester %s: %s\n", req_url, natsStatus_GetText(s)); return 1; }

  /* Warm-up: the first reply proves the interest crossed (no fixed sleep). */
  natsMsg *reply = NULL;
  int64_t warm_until = nb_now_ns() + (int64_t)warmup_ms * 1000000LL;
  for (;;) {
    s = natsConnection_Request(&reply, req, subject, payload, size, 250);
    if (s == NATS_OK) { natsMsg_Destroy(reply); break; }
    if (nb_now_ns() > warm_until) { fprintf(stderr, "nb_rtt: no reply within %d ms: %s\n", warmup_ms, natsStatus_GetText(s)); return 1; }
  }

  long long timeouts = 0;
  int64_t start = nb_now_ns();
  int64_t stop_at = duration_ms > 0 ? start + duration_ms * 1000000LL : INT64_MAX;
  for (long long i = 0; i < count && nb_now_ns() < stop_at; i++) {
    int64_t t0 = nb_now_ns();
    s = natsConnection_Request(&reply, req, subject, payload, size, timeout_ms);
    int64_t t1 = nb_now_ns();
    if (s == NATS_OK) { natsMsg_Destroy(reply); nb_hist_record(&hist, t1 - t0); }
    else if (s == NATS_TIMEOUT) timeouts++;
    else { fprintf(stderr, "nb_rtt: request %lld: %s\n", i, natsStatus_GetText(s)); break; }
  }
  int64_t end = nb_now_ns();
  printf("{\"count\":%lld,\"replies\":%llu,\"timeouts\":%lld,\"size\":%d,\"start_ns\":%lld,\"elapsed_ns\":%lld,"
         "\"rtt_ns\":{\"count\":%llu,\"min\":%lld,\"mean\":%.0f,\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"p999\":%lld,\"max\":%lld}}\n",
         count, (unsigned long long)hist.total, timeouts, size, (long long)start, (long long)(end - start),
         (unsigned long long)hist.total, hist.total ? (long long)hist.min : 0LL, hist.total ? hist.sum / (double)hist.total : 0.0,
         (long long)nb_hist_pct(&hist, 50), (long long)nb_hist_pct(&hist, 90), (long long)nb_hist_pct(&hist, 99),
         (long long)nb_hist_pct(&hist, 99.9), (long long)(hist.total ? hist.max : 0));
  fflush(stdout);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(req);
  natsConnection_Destroy(rep);
  natsOptions_Destroy(qo);
  natsOptions_Destroy(ro);
  free(payload);
  nats_Close();
  return s == NATS_OK || s == NATS_TIMEOUT ? 0 : 1;
}
