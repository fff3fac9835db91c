#!/usr/bin/env bash
# Builds the native bench programs from source with the system C compiler against the
# official NATS C client fetched by scripts/fetch-test-peers.sh into .cache/test-peers/libnats.
# An RPATH (not RUNPATH: libnats' own dependency libprotobuf-c sits beside it) makes the
# binaries run without LD_LIBRARY_PATH. Output: native-bench/build/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
LIBNATS="$ROOT/.cache/test-peers/libnats/usr"
LIBDIR="$LIBNATS/lib/x86_64-linux-gnu"
CC="${CC:-cc}"
if [[ ! -f "$LIBNATS/include/nats/nats.h" ]]; then
  echo "native-bench: libnats not found under $LIBNATS (run: npm run test-peers)" >&2
  exit 1
fi
command -v "$CC" >/dev/null || { echo "native-bench: no C compiler ($CC)" >&2; exit 1; }
mkdir -p "$HERE/build"
# The RPATH is absolute: a checkout that moved must rebuild.
STAMP="$HERE/build/.libdir"
[[ "$(cat "$STAMP" 2>/dev/null)" == "$LIBDIR" ]] || rm -f "$HERE"/build/nb_* "$HERE/build/hist_test"
for prog in nb_pub nb_sub nb_rtt; do
  out="$HERE/build/$prog"
  # Rebuild only when a source is newer than the binary.
  if [[ -x "$out" && "$out" -nt "$HERE/$prog.c" && "$out" -nt "$HERE/common.h" && "$out" -nt "$HERE/build.sh" ]]; then continue; fi
  "$CC" -O2 -Wall -Wextra -std=gnu11 -I"$LIBNATS/include" -o "$out" "$HERE/$prog.c" \
    -L"$LIBDIR" -Wl,--disable-new-dtags -Wl,-rpath,"$LIBDIR" -lnats -lpthread
done
"$CC" -O2 -Wall -Wextra -std=gnu11 -o "$HERE/build/hist_test" "$HERE/hist_test.c" -lm
printf '%s\n' "$LIBDIR" >"$STAMP"
"$CC" --version | head -n1
