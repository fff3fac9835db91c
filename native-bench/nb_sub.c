/* Throughput subscriber and the receiving half of the latency probe (timestamped pub/sub): subscribes to --subject, prints "READY" once the
 * server has the subscription, then counts what arrives against --count expected sequence
 * numbers: unique, duplicates, out of order, lost (never seen), and records one-way latency
 * (receive time minus the publisher's timestamp) in an HDR-style histogram. Stops when all
 * --count arrived, after --idle-ms without a message (once one came), or after --timeout-ms.
 * Prints one JSON line. */
#include <nats/nats.h>
#include <pthread.h>
#include <unistd.h>
#include "common.h"

typedef struct {
  pthread_mutex_t mu;
  long long count;
  unsigned char *seen; /* one bit per expected sequence number */
  long long received, unique, dups, out_of_order, unexpected, bad_size;
  long long next_seq;
  int64_t first_recv, last_recv, first_send;
  int size;
  nb_hist hist;
} state;

static state st;

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure) {
  (void)nc; (void)sub; (void)closure;
  int64_t now = nb_now_ns();
  const unsigned char *d = (const unsigned char *)natsMsg_GetData(msg);
  int len = natsMsg_GetDataLength(msg);
  pthread_mutex_lock(&st.mu);
  st.received++;
  if (st.first_recv == 0) st.first_recv = now;
  st.last_recv = now;
  if (len < 16 || (st.size > 0 && len != st.size)) {
    st.bad_size++;
  } else {
    uint64_t seq = nb_get_u64(d);
    int64_t sent = (int64_t)nb_get_u64(d + 8);
    if (seq >= (uint64_t)st.count) {
      st.unexpected++;
    } else if (st.seen[seq >> 3] & (1u << (seq & 7))) {
      st.dups++;
    } else {
      st.seen[seq >> 3] |= (unsigned char)(1u << (seq & 7));
      st.unique++;
      if ((long long)seq < st.next_seq) st.out_of_order++;
      else st.next_seq = (long long)seq + 1;
      if (st.first_send == 0 || sent < st.first_send) st.first_send = sent;
      nb_hist_record(&st.hist, now - sent);
    }
  }
  pthread_mutex_unlock(&st.mu);
  natsMsg_Destroy(msg);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure) {
  (void)nc; (void)sub; (void)closure;
  fprintf(stderr, "nb_sub: async error: %s\n", natsStatus_GetText(err));
}

int main(int argc, char **argv) {
  const char *url = nb_arg(argc, argv, "--url", "nats://127.0.0.1:4222");
  const char *subject = nb_arg(argc, argv, "--subject", "bench");
  st.count = atoll(nb_arg(argc, argv, "--count", "100000"));
  st.size = atoi(nb_arg(argc, argv, "--size", "0"));
  int idle_ms = atoi(nb_arg(argc, argv, "--idle-ms", "3000"));
  int timeout_ms = atoi(nb_arg(argc, argv, "--timeout-ms", "300000"));
  if (st.count <= 0) { fprintf(stderr, "nb_sub: --count must be > 0\n"); return 2; }
  pthread_mutex_init(&st.mu, NULL);
  st.seen = calloc((size_t)(st.count / 8 + 1), 1);
  nb_hist_init(&st.hist);

  natsOptions *opts = NULL;
  natsConnection *nc = NULL;
  natsSubscription *sub = NULL;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts, false);
  if (s == NATS_OK) s = natsOptions_SetIOBufSize(opts, 256 * 1024);
  if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts, on_error, NULL);
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  if (s == NATS_OK) s = natsConnection_Subscribe(&sub, nc, subject, on_msg, NULL);
  /* The subscriber's own buffer must never be why messages are missing. */
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub, -1, -1);
  if (s == NATS_OK) s = natsConnection_FlushTimeout(nc, 10000);
  if (s != NATS_OK) { fprintf(stderr, "nb_sub: %s: %s\n", url, natsStatus_GetText(s)); return 1; }
  printf("READY\n");
  fflush(stdout);

  int64_t u0, s0, u1, s1;
  nb_cpu_us(&u0, &s0);
  int64_t start = nb_now_ns();
  const char *why = "complete";
  for (;;) {
    usleep(2000);
    int64_t now = nb_now_ns();
    pthread_mutex_lock(&st.mu);
    long long unique = st.unique;
    int64_t last = st.last_recv;
    pthread_mutex_unlock(&st.mu);
    if (unique >= st.count) break;
    if (last != 0 && now - last > (int64_t)idle_ms * 1000000LL) { why = "idle"; break; }
    if (now - start > (int64_t)timeout_ms * 1000000LL) { why = "timeout"; break; }
  }
  nb_cpu_us(&u1, &s1);
  int64_t dropped = 0;
  natsSubscription_GetDropped(sub, &dropped);
  natsSubscription_Unsubscribe(sub);
  pthread_mutex_lock(&st.mu);
  printf("{\"expected\":%lld,\"received\":%lld,\"unique\":%lld,\"lost\":%lld,\"duplicates\":%lld,\"out_of_order\":%lld,"
         "\"unexpected\":%lld,\"bad_size\":%lld,\"client_dropped\":%lld,\"end\":\"%s\","
         "\"first_send_ns\":%lld,\"first_recv_ns\":%lld,\"last_recv_ns\":%lld,"
         "\"latency_ns\":{\"count\":%llu,\"min\":%lld,\"mean\":%.0f,\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"p999\":%lld,\"max\":%lld},"
         "\"cpu_user_us\":%lld,\"cpu_sys_us\":%lld}\n",
         st.count, st.received, st.unique, st.count - st.unique, st.dups, st.out_of_order, st.unexpected, st.bad_size,
         (long long)dropped, why, (long long)st.first_send, (long long)st.first_recv, (long long)st.last_recv,
         (unsigned long long)st.hist.total, st.hist.total ? (long long)st.hist.min : 0LL,
         st.hist.total ? st.hist.sum / (double)st.hist.total : 0.0,
         (long long)nb_hist_pct(&st.hist, 50), (long long)nb_hist_pct(&st.hist, 90), (long long)nb_hist_pct(&st.hist, 99),
         (long long)nb_hist_pct(&st.hist, 99.9), (long long)(st.hist.total ? st.hist.max : 0),
         (long long)(u1 - u0), (long long)(s1 - s0));
  fflush(stdout);
  pthread_mutex_unlock(&st.mu);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  nats_Close();
  return 0;
}
