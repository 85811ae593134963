#!/usr/bin/env bash
# Makes a Debian 12 base image locally, for machines that reach the Debian
# archive but no container registry (this project's CI):
#   debootstrap --variant=minbase bookworm -> trimmed like debian:*-slim ->
#   podman import as docker.io/library/debian:bookworm-slim (the name
#   deploy/Dockerfile starts FROM, so the Dockerfile stays the standard one).
#
#   deploy/docker/make-base.sh [--force]
#
# The mirror is the one this machine's apt uses (/etc/apt/sources.list.d/
# *.sources or /etc/apt/sources.list), or $DEBIAN_MIRROR; the image gets the
# machine's debian.sources, so it installs the same package versions as the
# host (same compiler: the image build hits the host's ccache).
# The rootfs tarball is kept in $R1_CONTAINER_CACHE (default .cache/container).
# Needs root, debootstrap and podman.
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${R1_BASE_IMAGE:-docker.io/library/debian:bookworm-slim}
cache=${R1_CONTAINER_CACHE:-$PWD/.cache/container}
tarball=$cache/debian-bookworm-minbase.tar
podman=(podman ${R1_PODMAN_FLAGS:-})

if [ "${1:-}" != --force ] && "${podman[@]}" image exists "$tag" &&
   [ "$("${podman[@]}" image inspect "$tag" --format '{{index .Labels "r1serve.base"}}')" = debootstrap ]; then
  echo "make-base: $tag exists (debootstrap)"
  exit 0
fi

apt_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    uri=$(awk '/^URIs:/ {print $2}' "$f" | grep -v -- '-security' | head -n 1 || true)
    if [ -n "$uri" ]; then echo "$uri"; return; fi
  done
  awk '$1 == "deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null
}

if [ ! -s "$tarball" ]; then
  mirror=$(apt_mirror)
  if [ -z "$mirror" ]; then echo "make-base: no Debian mirror in the apt config; set DEBIAN_MIRROR" >&2; exit 1; fi
  mkdir -p "$cache"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "make-base: debootstrap --variant=minbase bookworm (mirror from the apt config)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
  # The host's deb822 sources (bookworm, -updates, -security): same versions.
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/"
    rm -f "$rootfs/etc/apt/sources.list"
  fi
  # As debian:*-slim: no docs, man pages or locales from later installs,
  # no .deb files kept, no package lists in the image.
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
  cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
         "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi

"${podman[@]}" import --quiet \
  --change 'CMD ["bash"]' \
  --change 'LABEL r1serve.base=debootstrap' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$tarball" "$tag" > /dev/null
echo "make-base: imported $tag ($(du -h "$tarball" | cut -f1) rootfs)"
