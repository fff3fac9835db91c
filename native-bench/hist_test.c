/* Self-test of the HDR-style histogram in common.h (run by test/bench/smoke.test.ts): known
 * distributions must come back within the histogram's stated relative error. */
#include <math.h>
#include "common.h"

static int check(const char *what, int64_t got, double want) {
  double err = fabs((double)got - want) / (want > 0 ? want : 1);
  int ok = err <= 1.0 / NB_SUB + 1e-9;
  printf("%s %s: got %lld want %.0f (err %.4f)\n", ok ? "ok" : "FAIL", what, (long long)got, want, err);
  return ok ? 0 : 1;
}

static nb_hist h;

int main(void) {
  int bad = 0;
  /* Uniform 1..1,000,000 ns: percentile p is p% of a million. */
  nb_hist_init(&h);
  for (int64_t v = 1; v <= 1000000; v++) nb_hist_record(&h, v);
  bad += check("uniform p50", nb_hist_pct(&h, 50), 500000);
  bad += check("uniform p90", nb_hist_pct(&h, 90), 900000);
  bad += check("uniform p99", nb_hist_pct(&h, 99), 990000);
  bad += check("uniform p99.9", nb_hist_pct(&h, 99.9), 999000);
  bad += check("uniform max", h.max, 1000000);
  /* Small exact values are exact. */
  nb_hist_init(&h);
  for (int i = 0; i < 100; i++) nb_hist_record(&h, i < 99 ? 7 : 100);
  bad += check("exact p50", nb_hist_pct(&h, 50), 7);
  bad += check("exact p99.9", nb_hist_pct(&h, 99.9), 100);
  /* A 1 s outlier among 10 µs values: p99 stays at 10 µs, p99.9+ finds the outlier. */
  nb_hist_init(&h);
  for (int i = 0; i < 999; i++) nb_hist_record(&h, 10000);
  nb_hist_record(&h, 1000000000);
  bad += check("outlier p99", nb_hist_pct(&h, 99), 10000);
  bad += check("outlier p100", nb_hist_pct(&h, 100), 1000000000);
  printf("%s\n", bad ? "hist_test: FAILED" : "hist_test: all ok");
  return bad ? 1 : 0;
}
