#!/usr/bin/env python3
"""Static checks of deploy/prometheus and deploy/grafana (no server needed).

- every alert has severity, summary, description and a runbook_url whose
  anchor is a heading of docs/alerts.md;
- the promtool unit tests exercise every alert both firing (a non-empty
  exp_alerts) and not firing (an empty one);
- the dashboard: valid JSON, a current schemaVersion, a `datasource`
  variable used by every panel, unique panel ids, rows, every panel in a
  grid position, and a collapsed "Voice" row without queries;
- the Grafana provisioning files parse and name the dashboard folder;
- prometheus-kubernetes.yml: valid for promtool once its
  kubernetes_sd_configs are swapped for static ones (Debian's promtool has
  no Kubernetes discovery), and its pod selectors, port names, namespace
  and Secrets match deploy/k8s.
Prints one line per check and a summary; exits 1 on any failure.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
failures = []
passed = 0


def check(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(name)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")


def load_yaml(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return yaml.safe_load(f)


def anchors(markdown):
    # GitHub's heading anchors: lower case, spaces to '-', punctuation dropped.
    out = set()
    for line in markdown.splitlines():
        m = re.match(r"^#+\s+(.*?)\s*$", line)
        if m:
            text = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(text.replace(" ", "-"))
    return out


def check_rules():
    rules = load_yaml("deploy/prometheus/rules/r1serve.rules.yml")
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    with open(os.path.join(ROOT, "docs/alerts.md"), encoding="utf-8") as f:
        doc_anchors = anchors(f.read())
    bad = []
    for a in alerts:
        ann = a.get("annotations", {})
        url = ann.get("runbook_url", "")
        anchor = url.split("#", 1)[1] if "#" in url else ""
        if a.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
            bad.append(f"{a['alert']}: severity")
        if not ann.get("summary") or not ann.get("description"):
            bad.append(f"{a['alert']}: summary/description")
        if not url.startswith("docs/alerts.md#") or anchor != a["alert"].lower() or anchor not in doc_anchors:
            bad.append(f"{a['alert']}: runbook_url {url!r}")
    check("alerts: severity, summary, description, runbook in docs/alerts.md", not bad and len(alerts) > 0,
          f"{len(alerts)} alerts" + (f"; {bad}" if bad else ""))
    return [a["alert"] for a in alerts]


def check_unit_coverage(alert_names):
    firing, quiet = set(), set()
    files = sorted(glob.glob(os.path.join(ROOT, "deploy/prometheus/tests/*.yml")))
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for test in doc.get("tests", []):
            for t in test.get("alert_rule_test", []):
                (firing if t.get("exp_alerts") else quiet).add(t["alertname"])
    missing = [a for a in alert_names if a not in firing or a not in quiet]
    check("promtool tests: every alert firing and not firing", not missing,
          f"{len(files)} files, {len(firing & quiet)}/{len(alert_names)} alerts both ways"
          + (f"; missing: {missing}" if missing else ""))


def panels_of(dash):
    out = []
    for p in dash.get("panels", []):
        out.append(p)
        out.extend(p.get("panels", []))
    return out


def check_dashboard():
    with open(os.path.join(ROOT, "deploy/grafana/r1serve.json"), encoding="utf-8") as f:
        dash = json.load(f)
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    check("dashboard: schemaVersion of a current Grafana", dash.get("schemaVersion", 0) >= 39,
          f"schemaVersion {dash.get('schemaVersion')}")
    check("dashboard: datasource variable", variables.get("datasource", {}).get("type") == "datasource"
          and variables["datasource"].get("query") == "prometheus")
    panels = panels_of(dash)
    ids = [p["id"] for p in panels]
    rows = [p for p in panels if p["type"] == "row"]
    queried = [p for p in panels if p.get("targets")]
    wrong_ds = [p["title"] for p in queried
                if p.get("datasource", {}).get("uid") != "${datasource}"
                or any(t.get("datasource", {}).get("uid") != "${datasource}" for t in p["targets"])]
    no_grid = [p["title"] for p in panels if not {"x", "y", "w", "h"} <= set(p.get("gridPos", {}))]
    check("dashboard: panels", len(ids) == len(set(ids)) and not wrong_ds and not no_grid and len(rows) >= 5,
          f"{len(panels)} panels ({len(queried)} with queries, {len(rows)} rows), ids unique: {len(ids) == len(set(ids))}"
          + (f"; datasource not $datasource: {wrong_ds}" if wrong_ds else "")
          + (f"; no gridPos: {no_grid}" if no_grid else ""))
    voice = [r for r in rows if r["title"] == "Voice"]
    voice_ok = (len(voice) == 1 and voice[0]["collapsed"] and voice[0]["panels"]
                and all(not p.get("targets") for p in voice[0]["panels"])
                and "issue 11" in json.dumps(voice[0]["panels"]))
    check("dashboard: collapsed Voice row, note, no queries", voice_ok)
    wanted = {"r1serve_generation_tokens_total", "r1serve_time_to_first_token_seconds_bucket",
              "r1serve_inter_token_latency_seconds_bucket", "r1serve_queue_depth", "r1serve_kv_cache_usage_ratio",
              "r1_gateway_breaker_state", "r1_gateway_canary_weight_percent", "r1serve_build_info",
              "r1_gateway_continuations_total", "r1_gateway_replica_restarts_total", "r1serve_model_load_seconds",
              "process_resident_memory_bytes"}
    exprs = " ".join(t["expr"] for p in queried for t in p["targets"])
    missing = sorted(m for m in wanted if m not in exprs)
    check("dashboard: the brief's panels", not missing, f"{len(wanted)} metrics" + (f"; missing {missing}" if missing else ""))


def check_provisioning():
    ds = load_yaml("deploy/grafana/provisioning/datasources/prometheus.yml")
    db = load_yaml("deploy/grafana/provisioning/dashboards/r1serve.yml")
    ok_ds = ds.get("apiVersion") == 1 and any(d.get("type") == "prometheus" and d.get("url") for d in ds["datasources"])
    ok_db = db.get("apiVersion") == 1 and any(p.get("type") == "file" and p.get("options", {}).get("path")
                                              for p in db["providers"])
    check("grafana provisioning files", ok_ds and ok_db)


def k8s_pod_template(rel):
    for doc in yaml.safe_load_all(open(os.path.join(ROOT, rel), encoding="utf-8")):
        if doc and doc.get("kind") in ("StatefulSet", "Deployment"):
            return doc
    raise ValueError(f"no workload in {rel}")


def keep_regex(job):
    return next(r["regex"] for r in job["relabel_configs"] if r.get("action") == "keep")


def check_kubernetes_config():
    rel = "deploy/prometheus/prometheus-kubernetes.yml"
    conf = load_yaml(rel)
    swapped = 0
    for section in conf["scrape_configs"] + conf["alerting"]["alertmanagers"]:
        if "kubernetes_sd_configs" in section:
            assert all(sd["role"] == "pod" for sd in section.pop("kubernetes_sd_configs"))
            section["static_configs"] = [{"targets": ["127.0.0.1:1"]}]
            swapped += 1
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(conf, f)
    r = subprocess.run(["promtool", "check", "config", "--syntax-only", f.name], capture_output=True, text=True)
    os.unlink(f.name)
    check("prometheus-kubernetes.yml valid (kubernetes_sd swapped for static)", r.returncode == 0,
          f"{swapped} discovery sections swapped" + ("" if r.returncode == 0 else "; " + r.stdout + r.stderr))

    conf = load_yaml(rel)
    jobs = {j["job_name"]: j for j in conf["scrape_configs"]}
    kust = load_yaml("deploy/k8s/base/kustomization.yaml")
    secrets = {g["name"]: [x.split("=")[0] for x in g.get("files", [])] for g in kust.get("secretGenerator", [])}
    problems = []
    for job, workload, component in [("r1serve-gateway", "deploy/k8s/base/gateway-deployment.yaml", "gateway"),
                                     ("r1serve-worker", "deploy/k8s/base/worker-statefulset.yaml", "worker")]:
        w = k8s_pod_template(workload)
        labels = w["spec"]["template"]["metadata"]["labels"]
        ports = [p["name"] for c in w["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])]
        values = [f"{labels.get('app.kubernetes.io/name')};{labels.get('app.kubernetes.io/component')};{p}" for p in ports]
        kept = [v for v in values if re.fullmatch(keep_regex(jobs[job]), v)]
        if len(kept) != 1:
            problems.append(f"{job}: keep regex selects {kept} of {values}")
        sd_ns = jobs[job]["kubernetes_sd_configs"][0]["namespaces"]["names"]
        if sd_ns != [kust["namespace"]]:
            problems.append(f"{job}: namespaces {sd_ns} vs {kust['namespace']}")
        cred = jobs[job]["authorization"]["credentials_file"].split("/")
        if cred[-1] not in secrets.get(cred[-2], []):
            problems.append(f"{job}: credentials {cred[-2]}/{cred[-1]} not a Secret of deploy/k8s")
        targets = {r.get("target_label") for r in jobs[job]["relabel_configs"]}
        if not {"namespace", "pod", "instance"} <= targets:
            problems.append(f"{job}: no namespace/pod/instance labels (prometheus-adapter needs them)")
        if component == "worker":
            index = next(r for r in jobs[job]["relabel_configs"] if r.get("target_label") == "replica_index")
            name = w["metadata"]["name"] + "-3"
            m = re.fullmatch(index["regex"], name)
            if not m or m.expand(index["replacement"].replace("$1", r"\1")) != "3":
                problems.append(f"{job}: replica_index of {name}")
    check("prometheus-kubernetes.yml matches deploy/k8s", not problems,
          "selectors, port names, namespace, Secrets" + (f"; {problems}" if problems else ""))


alert_names = check_rules()
check_unit_coverage(alert_names)
check_dashboard()
check_provisioning()
check_kubernetes_config()
print(f"static monitoring checks: {passed}/{passed + len(failures)} passed")
sys.exit(1 if failures else 0)
