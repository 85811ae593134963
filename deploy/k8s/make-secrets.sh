#!/usr/bin/env bash
# Writes a random key into each missing file of deploy/k8s/base/secrets/
# (api-key, admin-key, model-key, signing-key); existing files are kept.
#   deploy/k8s/make-secrets.sh [DIR]      (default: base/secrets beside this script)
set -euo pipefail
dir=${1:-"$(cd "$(dirname "$0")" && pwd)/base/secrets"}
mkdir -p "$dir"
umask 077
made=0
for name in api-key admin-key model-key signing-key; do
  file=$dir/$name
  if [ -s "$file" ]; then continue; fi
  # 32 random bytes as 64 hex digits, no newline.
  od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$file"
  made=$((made + 1))
done
echo "make-secrets: $made new key file(s) in $dir"
