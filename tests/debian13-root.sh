# Sourced by the framework entry points (tests/run, notebooks/run, bench/run): can libtorch load on this host?
#
# TorchSharp-cpu 0.107's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13's libstdc++). Debian 12 and Ubuntu 22.04
# ship an older libstdc++, so there libtorch cannot load. Where the user is root, the entry point re-runs itself in a
# Debian 13 root made once with Debian's debootstrap (outside the checkout, reused afterwards) with the .NET SDK, the
# NuGet cache and the checkout bind-mounted at the same paths; nothing in the checkout or the packages is changed.
# NUGET_PACKAGES (and NUGET_HTTP_CACHE_PATH, NUGET_SCRATCH, NUGET_PLUGINS_CACHE_PATH where set) are honoured: passed
# into the root and their folders mounted there, so e.g. `NUGET_PACKAGES=/var/tmp/x notebooks/run` restores into /var/tmp/x.
#
#   libtorch_host_ok                   0 if this host (or the root we are already in) can load libtorch
#   libtorch_host_reason               one line: what is missing and what to do
#   debian13_root_reexec CMD ARGS…     where needed and possible, runs CMD ARGS… inside the root and exits with its
#                                      status; returns 0 (run here) or 1 (cannot run the framework tier here)
#   debian13_root_run CMD ARGS…        runs CMD ARGS… inside the root (provisioning it first); for helpers and tests

DEBIAN13_ROOT=${COURSE_DEBIAN13_ROOT:-/var/cache/deep-learning-csharp/debian13-root}
# Packages of the root, beyond minbase: .NET's runtime needs (ICU, OpenSSL, CA certificates); Jupyter's execution
# client for the official-kernel run (python3-cffi-backend because debootstrap cannot resolve python3-zmq's virtual
# dependency); node for the book's math; chromium for the browser tests. Change this list → the root is remade.
DEBIAN13_PACKAGES="libicu76,ca-certificates,libssl3t64,python3,python3-cffi-backend,python3-nbclient,python3-nbconvert,python3-jupyter-client,python3-ipykernel"
DEBIAN13_EXTRA_PACKAGES="nodejs chromium fonts-dejavu-core"
DEBIAN13_STAMP="v1 $DEBIAN13_PACKAGES $DEBIAN13_EXTRA_PACKAGES"

_libstdcxx() { ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}'; }

libtorch_host_ok() {
  [ "${COURSE_IN_DEBIAN13_ROOT:-0}" = 1 ] && return 0
  local lib; lib=$(_libstdcxx)
  [ -n "$lib" ] && grep -aq 'GLIBCXX_3\.4\.32' "$lib"
}

libtorch_host_reason() {
  echo "TorchSharp 0.107 needs libstdc++ with GLIBCXX_3.4.32 (GCC 13+); this host's $(_libstdcxx || echo libstdc++) is older" \
    "($(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown OS}")). Use Debian 13 / Ubuntu 24.04 or newer, the" \
    "course's Codespace, or run this command as root so it can provision a Debian 13 root in $DEBIAN13_ROOT."
}

_debian13_mirror() {
  local m
  m=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    grep -oE 'https?://[^ ]+' | grep -v security | head -1)
  echo "${m:-http://deb.debian.org/debian}"
}

# Makes the root once; a half-made root never counts (it is built beside and renamed when complete).
debian13_root_provision() {
  if [ -f "$DEBIAN13_ROOT/.course-stamp" ] && [ "$(cat "$DEBIAN13_ROOT/.course-stamp")" = "$DEBIAN13_STAMP" ]; then
    return 0
  fi
  local tmp="$DEBIAN13_ROOT.partial" log="${DEBIAN13_ROOT}.log" mirror start=$SECONDS
  mkdir -p "$(dirname "$DEBIAN13_ROOT")"
  echo "── provisioning a Debian 13 root in $DEBIAN13_ROOT (once; ~2 min; log: $log)" >&2
  if ! command -v debootstrap >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } >"$log" 2>&1 ||
      { echo "could not install debootstrap (see $log)" >&2; return 1; }
  fi
  mirror=$(_debian13_mirror)
  rm -rf "$tmp"
  if ! debootstrap --variant=minbase --include="$DEBIAN13_PACKAGES" trixie "$tmp" "$mirror" >>"$log" 2>&1; then
    echo "debootstrap failed (see $log)" >&2; return 1
  fi
  # The root trusts the host's certificate authorities (NuGet and apt over HTTPS go through them).
  cp /etc/ssl/certs/ca-certificates.crt "$tmp/etc/ssl/certs/ca-certificates.crt"
  cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
  if ! _debian13_in "$tmp" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $DEBIAN13_EXTRA_PACKAGES" >>"$log" 2>&1; then
    echo "installing $DEBIAN13_EXTRA_PACKAGES in the root failed (see $log)" >&2; return 1
  fi
  _debian13_in "$tmp" apt-get clean >>"$log" 2>&1 || true
  echo "$DEBIAN13_STAMP" >"$tmp/.course-stamp"
  rm -rf "$DEBIAN13_ROOT" && mv "$tmp" "$DEBIAN13_ROOT"
  echo "── Debian 13 root ready in $((SECONDS - start)) s" >&2
}

# Runs a command in ROOT inside a private mount namespace: every bind mount disappears with the process, also on
# failure, and two runs at once do not see each other's mounts.
_debian13_in() {
  local root=$1; shift
  local sdk; sdk=$(dirname "$(readlink -f "$(command -v dotnet)")")
  local home=${HOME:-/root} nuget=${NUGET_PACKAGES:-${HOME:-/root}/.nuget/packages}
  # NuGet's other folders, where set (e.g. an empty HTTP cache for a cold run): made and bind-mounted like the packages.
  local -a caches=() ; local c
  for c in "${NUGET_HTTP_CACHE_PATH:-}" "${NUGET_SCRATCH:-}" "${NUGET_PLUGINS_CACHE_PATH:-}"; do
    [ "${c:0:1}" = / ] && mkdir -p "$c" && caches+=("$c")
  done
  local here; here=$(pwd -P)
  local top; top=$(git rev-parse --show-toplevel 2>/dev/null || echo "$here")
  local gitdir; gitdir=$(cd "$top" && git rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  mkdir -p "$nuget"
  local -a envs=(PATH="$sdk:$home/.dotnet/tools:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    HOME="$home" DOTNET_ROOT="$sdk" NUGET_PACKAGES="$nuget" LANG=C.UTF-8 COURSE_IN_DEBIAN13_ROOT=1 TERM="${TERM:-dumb}")
  local v
  for v in $(compgen -e); do
    case "$v" in
      CI | DOTNET_* | NUGET_* | COURSE_* | MSBUILD* | JUPYTER_*) [ "$v" = COURSE_IN_DEBIAN13_ROOT ] || envs+=("$v=${!v}") ;;
    esac
  done
  unshare --mount --propagation private -- bash -c '
    set -e
    root=$1 sdk=$2 home=$3 nuget=$4 top=$5 gitdir=$6 here=$7 caches=$8; shift 8
    bind() { mkdir -p "$root$2"; mount --bind "$1" "$root$2"; }
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"; mount --make-rslave "$root/dev"
    mount --rbind /sys "$root/sys"; mount --make-rslave "$root/sys"
    mount -t tmpfs tmpfs "$root/tmp"
    bind "$sdk" "$sdk"; mount -o remount,bind,ro "$root$sdk"
    bind "$home" "$home"
    [ "$nuget" = "${nuget#$home/}" ] && bind "$nuget" "$nuget"
    while IFS= read -r c; do
      if [ -n "$c" ] && [ "$c" = "${c#$home/}" ] && [ "$c" = "${c#$nuget/}" ]; then bind "$c" "$c"; fi
    done <<<"$caches"
    [ "$top" = "${top#$home/}" ] && bind "$top" "$top"
    if [ -n "$gitdir" ] && [ "$gitdir" = "${gitdir#$top/}" ] && [ "$gitdir" = "${gitdir#$home/}" ]; then bind "$gitdir" "$gitdir"; fi
    ln -sf "$sdk/dotnet" "$root/usr/local/bin/dotnet" 2>/dev/null || true
    exec chroot "$root" env -i "$@"
  ' _ "$root" "$sdk" "$home" "$nuget" "$top" "$gitdir" "$here" "$(printf '%s\n' "${caches[@]}")" "${envs[@]}" sh -c 'cd "$0" && exec "$@"' "$here" "$@"
}

debian13_root_run() {
  debian13_root_provision || return 1
  _debian13_in "$DEBIAN13_ROOT" "$@"
}

debian13_root_reexec() {
  libtorch_host_ok && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "framework tier not runnable here: $(libtorch_host_reason)" >&2
    return 1
  fi
  echo "── this host's libstdc++ lacks GLIBCXX_3.4.32 (needed by TorchSharp 0.107): running '$*' inside the Debian 13 root $DEBIAN13_ROOT" >&2
  debian13_root_provision || { echo "framework tier not runnable here: the Debian 13 root could not be made" >&2; return 1; }
  _debian13_in "$DEBIAN13_ROOT" "$@"
  exit $?
}
