#!/usr/bin/env bash
# Fetches the real nats-server binaries the interop tests run against
# (2.9.10 from Debian bookworm, 2.10.27 from Debian trixie, 2.15.1 from Debian
# forky, or sid when forky has moved on) and libnats (the official C client,
# Debian libnats-dev, for the native benchmark and its smoke test), into
# .cache/test-peers/. Everything is required: a failure fails the script.
#
# Uses apt-get with a completely private state/config directory so the
# machine's apt configuration is never modified; the mirror is whatever the
# machine's own Debian source points at (nothing is hard-coded here).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache/test-peers"
BIN="$CACHE/bin"
WANT_VERSIONS=(2.9.10 2.10.27 2.15.1)
# Which Debian suite provides which upstream version.
# Several suites: the first that has the version wins (testing suites move on).
declare -A SUITE_FOR=([2.9.10]=bookworm [2.10.27]=trixie [2.15.1]="forky sid")

log() { printf 'fetch-test-peers: %s\n' "$*"; }

# Fast path: both binaries present and reporting the right version -> no network.
binary_ok() {
  local v="$1" out
  [[ -x "$BIN/nats-server-$v" ]] || return 1
  out="$("$BIN/nats-server-$v" --version 2>/dev/null)" || return 1
  [[ "$out" == *"v$v"* ]]
}
# libnats is complete when its header and library are there and the library's own
# dependencies resolve (those the host lacks are extracted beside it).
LIBNATS="$CACHE/libnats"
libnats_ok() {
  local lib deps
  [[ -f "$LIBNATS/usr/include/nats/nats.h" ]] || return 1
  lib="$(ls -1 "$LIBNATS"/usr/lib/*/libnats.so.* 2>/dev/null | head -n1)"
  [[ -n "$lib" ]] || return 1
  if command -v ldd >/dev/null; then
    # Captured, not piped into grep -q: with pipefail ldd's SIGPIPE would hide a match.
    deps="$(LD_LIBRARY_PATH="$(dirname "$lib")" ldd "$lib" 2>&1 || true)"
    [[ "$deps" != *"not found"* ]] || return 1
  fi
}
all_ok=1
for v in "${WANT_VERSIONS[@]}"; do binary_ok "$v" || all_ok=0; done
libnats_ok || all_ok=0
if [[ $all_ok == 1 ]]; then
  log "nats-server ${WANT_VERSIONS[*]} and libnats already present in $CACHE (nothing to do)"
  exit 0
fi

for tool in apt-get apt-cache dpkg; do
  command -v "$tool" >/dev/null || { log "ERROR: '$tool' not found; this script needs a Debian-based machine"; exit 1; }
done

# --- Derive the Debian mirror URI from the machine's configured sources ----
mirror=""
shopt -s nullglob
# deb822 format: take URIs of the stanza whose Suites contain exactly "bookworm".
for f in /etc/apt/sources.list.d/*.sources; do
  mirror="$(awk '
    function flush() { if (has_suite && uris != "" && out == "") out = uris; uris = ""; has_suite = 0 }
    /^[[:space:]]*$/ { flush(); next }
    /^[[:space:]]*#/ { next }
    tolower($1) == "uris:"   { uris = $2 }
    tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") has_suite = 1 }
    END { flush(); print out }
  ' "$f")"
  [[ -n "$mirror" ]] && break
done
# Fallback: one-line format "deb [opts] URI bookworm main ...".
if [[ -z "$mirror" ]]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    mirror="$(awk '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == "bookworm") { print $i; exit }
      }
    ' "$f")"
    [[ -n "$mirror" ]] && break
  done
fi
shopt -u nullglob
if [[ -z "$mirror" ]]; then
  log "ERROR: no Debian 'bookworm' source found in /etc/apt/sources.list{,.d/}; cannot locate a mirror"
  exit 1
fi
mirror="${mirror%/}"
log "using Debian mirror from system apt config: $mirror"

# --- Private apt state ------------------------------------------------------
APT="$CACHE/apt"
mkdir -p "$APT/state/lists/partial" "$APT/cache/archives/partial" "$APT/etc/empty.d" "$APT/debs"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$APT/etc/sources.list" <<EOF
deb [signed-by=$KEYRING] $mirror bookworm main
deb [signed-by=$KEYRING] $mirror trixie main
deb [signed-by=$KEYRING] $mirror forky main
deb [signed-by=$KEYRING] $mirror sid main
EOF
: >"$APT/etc/preferences"
: >"$APT/state/status"
APT_OPTS=(
  -o "Dir::State=$APT/state"
  -o "Dir::State::Lists=$APT/state/lists"
  -o "Dir::State::status=$APT/state/status"
  -o "Dir::Cache=$APT/cache"
  -o "Dir::Etc::SourceList=$APT/etc/sources.list"
  -o "Dir::Etc::SourceParts=$APT/etc/empty.d"
  -o "Dir::Etc::Preferences=$APT/etc/preferences"
  -o "Dir::Etc::PreferencesParts=$APT/etc/empty.d"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none"
)
if [[ $EUID -ne 0 ]]; then
  # Non-root cannot drop to _apt; download as the current user instead.
  APT_OPTS+=(-o "APT::Sandbox::User=$(id -un)")
fi

log "updating private package index (bookworm, trixie, forky, sid)"
apt-get "${APT_OPTS[@]}" -qq update

# Picks the exact Debian package version for an upstream version from a suite.
pick_version() {
  local pkg="$1" upstream="$2" suite="$3"
  apt-cache "${APT_OPTS[@]}" madison "$pkg" |
    awk -F'|' -v up="$upstream" -v suite="$suite" '
      { gsub(/ /, "", $2); ver = $2; src = $3 }
      src ~ (" " suite "/") && (up == "" || index(ver, up "-") == 1) { print ver; exit }
    '
}

# Downloads one package version into $APT/debs and prints the .deb path.
download() {
  local pkg="$1" ver="$2"
  (cd "$APT/debs" && apt-get "${APT_OPTS[@]}" -qq download "$pkg=$ver" >/dev/null)
  local deb
  deb="$(ls -1t "$APT/debs/${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1)"
  [[ -n "$deb" ]] || { log "ERROR: download of $pkg=$ver produced no .deb" >&2; return 1; }
  printf '%s\n' "$deb"
}

mkdir -p "$BIN"
for v in "${WANT_VERSIONS[@]}"; do
  if binary_ok "$v"; then
    log "nats-server $v already present"
    continue
  fi
  debver=""
  for suite in ${SUITE_FOR[$v]}; do
    debver="$(pick_version nats-server "$v" "$suite")"
    [[ -n "$debver" ]] && break
  done
  if [[ -z "$debver" ]]; then
    log "ERROR: no nats-server $v in Debian ${SUITE_FOR[$v]}; available:"
    apt-cache "${APT_OPTS[@]}" madison nats-server >&2 || true
    exit 1
  fi
  log "downloading nats-server=$debver ($suite)"
  deb="$(download nats-server "$debver")"
  dest="$CACHE/nats-server-$v"
  rm -rf "$dest"
  log "extracting $(basename "$deb") -> ${dest#"$ROOT"/}"
  dpkg -x "$deb" "$dest"
  # Bookworm ships it in /usr/sbin, newer packages may use /usr/bin.
  exe="$(find "$dest" -type f -name nats-server -perm -u+x | head -n1)"
  [[ -n "$exe" ]] || { log "ERROR: no nats-server executable inside $(basename "$deb")"; exit 1; }
  ln -sfn "../${exe#"$CACHE"/}" "$BIN/nats-server-$v"
  if ! binary_ok "$v"; then
    log "ERROR: $BIN/nats-server-$v does not report version $v"
    exit 1
  fi
  log "ok: $("$BIN/nats-server-$v" --version) at ${BIN#"$ROOT"/}/nats-server-$v"
done

# --- libnats (C client) for the native benchmark ----------------------------
# Names of a package's Depends (first alternative, no version constraints).
depends_of() {
  apt-cache "${APT_OPTS[@]}" show "$1=$2" | awk -F': ' '/^Depends:/ { print $2; exit }' |
    tr ',' '\n' | sed -E 's/^ +//; s/[ |].*//; s/:any$//'
}
host_has() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

fetch_libnats() {
  local suite ver="" rt rtver dep depver deb dest="$CACHE/libnats" host_suite suites
  # Prefer the host's own release: a newer suite's build may need a newer glibc.
  host_suite="$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")"
  suites="$host_suite trixie bookworm"
  for suite in $suites; do
    ver="$(pick_version libnats-dev "" "$suite")"
    [[ -n "$ver" ]] && break
  done
  [[ -n "$ver" ]] || { log "ERROR: libnats-dev not found in $suites"; return 1; }
  # The runtime package name carries the soname (libnats3.x); take it from Depends.
  rt="$(depends_of libnats-dev "$ver" | grep -E '^libnats[0-9]' | head -n1)"
  [[ -n "$rt" ]] || { log "ERROR: cannot determine libnats runtime package"; return 1; }
  rtver="$(pick_version "$rt" "" "$suite")"
  rm -rf "$dest"
  for pkg in "libnats-dev=$ver" "$rt=$rtver"; do
    log "downloading $pkg ($suite)"
    deb="$(download "${pkg%%=*}" "${pkg#*=}")" || return 1
    dpkg -x "$deb" "$dest"
  done
  # Runtime libraries libnats needs that the host lacks (e.g. libprotobuf-c1).
  for dep in $(depends_of "$rt" "$rtver"); do
    host_has "$dep" && continue
    depver="$(pick_version "$dep" "" "$suite")"
    [[ -n "$depver" ]] || { log "ERROR: dependency $dep not found in $suite"; return 1; }
    log "downloading $dep=$depver ($suite; not installed on this host)"
    deb="$(download "$dep" "$depver")" || return 1
    dpkg -x "$deb" "$dest"
  done
  log "ok: libnats $ver extracted to ${dest#"$ROOT"/}"
}
if libnats_ok; then
  log "libnats already present"
else
  fetch_libnats || { log "ERROR: libnats fetch failed"; exit 1; }
  libnats_ok || { log "ERROR: libnats in ${LIBNATS#"$ROOT"/} is incomplete (header, library or a dependency missing)"; exit 1; }
fi

log "done"
