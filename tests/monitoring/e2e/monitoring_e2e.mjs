// End-to-end monitoring test: a real Prometheus (Debian's binary, a child
// process on a loopback port, deploy/prometheus/prometheus.yml with 1 s
// scrape and evaluation, see prometheusConfig) scrapes a real
// `r1serve up` (tiny model, --test-mode, random ports) through the gateway's
// HTTP service discovery (GET /admin/targets), with the production rules
// rendered with shorter windows (renderShortRules). Under steady traffic:
//   1. discovery: the gateway and both workers are scraped, with their labels;
//   2. `promtool check metrics` on a real gateway's and worker's /metrics;
//   3. SIGSTOP of a worker fires R1ServeReplicaDown and R1ServeTargetDown;
//      SIGCONT resolves them;
//   4. a reload that restarts the workers with --fault-error-rate fires
//      R1ServeUpstreamErrorRateHigh (and R1ServeErrorRateHigh when the
//      gateway exports r1_gateway_responses_total); a reload without the
//      fault resolves them;
//   5. three kill -9 of a worker fire R1ServeReplicaCrashLooping, which
//      resolves once the restarts leave the window;
//   6. every PromQL query of deploy/grafana/r1serve.json parses and returns
//      data (template variables substituted, see dashboardQueries).
// Everything is checked through Prometheus's HTTP API (/api/v1/alerts,
// /api/v1/query, /api/v1/targets). Each wait is bounded.
//
// Usage: node monitoring_e2e.mjs --r1serve build/r1serve [--root .] [--keep]
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith("--") ? all[i + 1] : true]);
    return acc;
  }, []));
const ROOT = path.resolve(args.root || ".");
const R1SERVE = path.resolve(args.r1serve || "build/r1serve");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "r1-monitoring-e2e-"));
const started = Date.now();
const children = [];
const results = [];  // [name, ok, detail]
let traffic = null;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1) + "s";
function log(msg) { console.log(`[${elapsed()}] ${msg}`); }
function check(name, ok, detail = "") {
  results.push([name, !!ok, detail]);
  log(`${ok ? "PASS" : "FAIL"} ${name}${detail ? ": " + detail : ""}`);
  return !!ok;
}

async function waitFor(what, timeoutMs, fn, gone = null) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end && !(gone && gone.exited)) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = undefined; }
    await sleep(500);
  }
  log(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
  return null;
}

async function http(url, opts = {}) {
  const res = await fetch(url, { ...opts, signal: AbortSignal.timeout(opts.timeoutMs || 10000) });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}
async function getJson(url) { return JSON.parse((await http(url)).text); }

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// A child process with stdout/stderr appended to TMP/<name>.log.
function startChild(name, cmd, argv) {
  const logPath = path.join(TMP, name + ".log");
  const fd = fs.openSync(logPath, "a");
  const child = spawn(cmd, argv, { stdio: ["ignore", fd, fd], cwd: TMP });
  fs.closeSync(fd);
  const entry = { name, child, logPath, exited: false };
  child.on("exit", () => { entry.exited = true; });
  children.push(entry);
  return entry;
}
const logOf = (entry) => fs.readFileSync(entry.logPath, "utf8");

async function stopChildren() {
  if (traffic) traffic.stop = true;
  for (const e of children.slice().reverse()) {
    if (e.exited) continue;
    try { e.child.kill("SIGCONT"); e.child.kill("SIGTERM"); } catch {}
    const t0 = Date.now();
    while (!e.exited && Date.now() - t0 < 20000) await sleep(100);
    if (!e.exited) { try { e.child.kill("SIGKILL"); } catch {} }
  }
}

// The production rules with every range selector [..] and `for:` divided
// by 60 (floor 2 s): 5m -> 5s, 15m -> 15s, 1h -> 60s, 3d -> 4320s.
// Expressions, thresholds and names are unchanged.
function renderShortRules(text) {
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const short = (n, u) => `${Math.max(2, Math.round((Number(n) * unit[u]) / 60))}s`;
  return text
    .replace(/\[(\d+)(ms|s|m|h|d|w|y)\]/g, (_, n, u) => `[${short(n, u)}]`)
    .replace(/^(\s*for:\s*)(\d+)(ms|s|m|h|d)\s*$/gm, (_, pre, n, u) => pre + short(n, u));
}

const BASE_ARGS = ["--threads", "1", "--ctx", "512"];

function gatewayConfig(model, workerArgs) {
  return [
    "test_mode: true",
    "ports: {listen: 0, admin: 0}",
    "pools:",
    "  - name: default",
    `    model: "${model}"`,
    "    replicas: 2",
    `    args: [${workerArgs.map((a) => `"${a}"`).join(", ")}]`,
    // Fast health checks; a stopped worker is killed only after 50 s.
    "health: {interval: 500ms, timeout: 400ms, healthy_threshold: 1, unhealthy_threshold: 2, liveness_restart_after: 100, startup_grace: 60s}",
    // The breaker and the outlier detector stay out of the way of the
    // injected errors (they would stop the traffic the error alert measures).
    "breaker: {window: 5s, error_rate_percent: 95, min_requests: 100000, open_duration: 2s, half_open_probes: 3}",
    "outlier: {consecutive_5xx: 100000, consecutive_connect_failures: 100000, base_ejection_time: 1s, max_ejection_time: 2s}",
    "retries: {max_attempts: 2, budget_percent: 50, min_retries: 10}",
    "stream: {continuation: true, per_token_timeout: 5s, first_token_timeout: 10s}",
    "supervisor: {backoff_base: 100ms, backoff_max: 1s, stop_grace: 5s, crash_loop_count: 50}",
    "",
  ].join("\n");
}

// deploy/prometheus/prometheus.yml itself, with the gateway's admin port,
// 1 s intervals, the short-window rules and no Alertmanager; fails when
// one of those substitutions no longer applies.
function prometheusConfig(adminPort) {
  let text = fs.readFileSync(path.join(ROOT, "deploy/prometheus/prometheus.yml"), "utf8");
  const subst = [
    [/127\.0\.0\.1:8001/g, `127.0.0.1:${adminPort}`],
    [/(scrape_interval|evaluation_interval|scrape_timeout|refresh_interval): \d+s/g, "$1: 1s"],
    [/rules\/r1serve\.rules\.yml/g, "rules.yml"],
    [/targets: \["127\.0\.0\.1:9093"\]/g, "targets: []"],
  ];
  for (const [re, to] of subst) {
    if (!re.test(text)) throw new Error(`prometheus.yml: no match for ${re}`);
    text = text.replace(re, to);
  }
  return text;
}

// Steady traffic through the gateway: `n` loops of small chat requests,
// streamed and not; counts answers by status.
function startTraffic(port, n) {
  const t = { stop: false, codes: {}, errors: 0, loops: [] };
  const one = async (i) => {
    const body = { messages: [{ role: "user", content: `Hello number ${i}` }], max_tokens: 8, stream: i % 2 === 0 };
    try {
      const r = await http(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), timeoutMs: 30000 });
      t.codes[r.status] = (t.codes[r.status] || 0) + 1;
    } catch { t.errors += 1; }
  };
  for (let k = 0; k < n; ++k) {
    t.loops.push((async () => { for (let i = k; !t.stop; i += n) { await one(i); await sleep(20); } })());
  }
  return t;
}

async function alertsNow(promUrl) {
  const j = await getJson(`${promUrl}/api/v1/alerts`);
  return j.data.alerts;
}
const matches = (alert, name, labels) =>
  alert.labels.alertname === name && Object.entries(labels).every(([k, v]) => alert.labels[k] === v);

async function waitFiring(promUrl, name, labels, timeoutMs) {
  const t0 = Date.now();
  const a = await waitFor(`${name} firing`, timeoutMs, async () =>
    (await alertsNow(promUrl)).find((x) => matches(x, name, labels) && x.state === "firing"));
  return check(`${name} fires`, a, a ? `${JSON.stringify(labels)} after ${((Date.now() - t0) / 1000).toFixed(1)}s` : "");
}
async function waitResolved(promUrl, name, labels, timeoutMs) {
  const t0 = Date.now();
  const ok = await waitFor(`${name} resolved`, timeoutMs, async () =>
    !(await alertsNow(promUrl)).some((x) => matches(x, name, labels)));
  const q = await query(promUrl, `ALERTS{alertname="${name}"}`);
  return check(`${name} resolves`, ok && q.length === 0,
    ok ? `after ${((Date.now() - t0) / 1000).toFixed(1)}s; ALERTS{alertname="${name}"} empty: ${q.length === 0}` : "");
}

async function query(promUrl, expr) {
  const j = await getJson(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  if (j.status !== "success") throw new Error(`${expr}: ${j.error}`);
  return j.data.result;
}

async function replicaPid(adminUrl, id) {
  const s = await getJson(`${adminUrl}/admin/status`);
  const r = s.replicas.find((x) => x.id === id);
  return r && r.pid > 0 ? r.pid : 0;
}
async function healthyCount(adminUrl) {
  const s = await getJson(`${adminUrl}/admin/status`);
  return s.replicas.filter((r) => r.healthy).length;
}

// Every target expr of the dashboard (rows' nested panels included), with
// the template variables replaced: $pool -> .*, $__rate_interval -> 30s,
// $__interval -> 15s, $__range -> 5m.
function dashboardQueries(dash) {
  const out = [];
  const walk = (panels) => {
    for (const p of panels || []) {
      for (const t of p.targets || []) out.push({ panel: p.title, expr: t.expr });
      walk(p.panels);
    }
  };
  walk(dash.panels);
  const subst = { "$__rate_interval": "30s", "$__interval": "15s", "$__range": "5m", "$pool": ".*" };
  return out.map((q) => ({
    ...q, expr: Object.entries(subst).reduce((e, [k, v]) => e.split(k).join(v), q.expr) }));
}

async function checkMetricsLint(name, url) {
  const body = (await http(url)).text;
  const r = spawnSync("promtool", ["check", "metrics"], { input: body, encoding: "utf8" });
  const findings = (r.stdout + r.stderr).split("\n").map((l) => l.trim()).filter(Boolean);
  // Known and kept: the name predates this check and dashboards use it.
  const allowed = ['r1serve_kv_cache_blocks_total non-counter metrics should not have "_total" suffix'];
  const unexpected = findings.filter((f) => !allowed.includes(f));
  const families = body.split("\n").filter((l) => l.startsWith("# TYPE ")).length;
  return check(`promtool check metrics (${name})`, families > 10 && unexpected.length === 0,
    `${families} families, ${findings.length - unexpected.length} known finding(s)` +
      (unexpected.length ? `; unexpected: ${unexpected.join(" | ")}` : ""));
}

// Model, rules, `r1serve up` and Prometheus; null when something did not start.
async function startStack() {
  log(`work dir ${TMP}`);
  const model = path.join(TMP, "tiny.gguf");
  const synth = spawnSync(R1SERVE, ["model", "synth", "--preset", "tiny-qwen2", "-o", model], { encoding: "utf8" });
  if (!check("tiny model", synth.status === 0, synth.status === 0 ? "" : synth.stderr)) return null;
  // The rules as Prometheus will load them (shortened windows) must still
  // be valid and hold the same rules.
  const rulesText = fs.readFileSync(path.join(ROOT, "deploy/prometheus/rules/r1serve.rules.yml"), "utf8");
  fs.writeFileSync(path.join(TMP, "rules.yml"), renderShortRules(rulesText));
  const rc = spawnSync("promtool", ["check", "rules", path.join(TMP, "rules.yml")], { encoding: "utf8" });
  const count = (t) => (t.match(/^\s*- (alert|record):/gm) || []).length;
  check("short-window rules valid", rc.status === 0 && count(rulesText) === count(renderShortRules(rulesText)),
    `${count(rulesText)} rules`);

  const cfgPath = path.join(TMP, "gateway.yaml");
  fs.writeFileSync(cfgPath, gatewayConfig(model, BASE_ARGS));
  const up = startChild("up", R1SERVE, ["up", "-c", cfgPath, "--test-mode", "--port", "0", "--admin-port", "0",
    "--state-file", path.join(TMP, "rollout-state.json")]);
  const ports = await waitFor("gateway ports", 30000, async () => {
    const text = logOf(up);
    const g = text.match(/gateway listening on http:\/\/127\.0\.0\.1:(\d+)/);
    const a = text.match(/admin listening on http:\/\/127\.0\.0\.1:(\d+)/);
    return g && a ? { proxy: Number(g[1]), admin: Number(a[1]) } : null;
  }, up);
  if (!check("r1serve up listening", ports, ports ? JSON.stringify(ports) : logOf(up).slice(-2000))) return null;
  const adminUrl = `http://127.0.0.1:${ports.admin}`;
  if (!check("2 replicas healthy", await waitFor("healthy replicas", 60000, async () => (await healthyCount(adminUrl)) === 2))) return null;

  const promPort = await freePort();
  fs.writeFileSync(path.join(TMP, "prometheus.yml"), prometheusConfig(ports.admin));
  const pc = spawnSync("promtool", ["check", "config", path.join(TMP, "prometheus.yml")], { encoding: "utf8" });
  check("promtool check config (e2e)", pc.status === 0, pc.status === 0 ? "" : pc.stdout + pc.stderr);
  startChild("prometheus", "prometheus", [
    `--config.file=${path.join(TMP, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(TMP, "data")}`,
    `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"]);
  const promUrl = `http://127.0.0.1:${promPort}`;
  if (!check("prometheus ready", await waitFor("prometheus ready", 30000, async () =>
    (await http(`${promUrl}/-/ready`)).status === 200))) return null;
  return { model, cfgPath, ports, adminUrl, promUrl };
}

// 1 and 2: discovery through /admin/targets; the real exposition passes
// promtool's linter.
async function checkDiscovery(st) {
  const targets = await waitFor("3 targets up", 30000, async () => {
    const j = await getJson(`${st.promUrl}/api/v1/targets?state=active`);
    const up = j.data.activeTargets.filter((t) => t.health === "up");
    return up.length === 3 ? up : null;
  });
  const workers = (targets || []).filter((t) => t.labels.job === "r1serve-worker");
  check("http_sd discovers the workers", workers.length === 2 &&
    workers.every((w) => w.labels.pool === "default" && w.labels.instance === w.labels.replica &&
      ["default/0", "default/1"].includes(w.labels.replica) && w.labels.role === "primary"),
    workers.map((w) => `${w.labels.replica}@${w.discoveredLabels.__address__}`).join(", "));
  await checkMetricsLint("gateway", `${st.adminUrl}/metrics`);
  if (workers.length) await checkMetricsLint("worker", workers[0].scrapeUrl);
}

// 3: a hung worker (SIGSTOP) -> replica down + scrape down; SIGCONT.
async function faultHang(st) {
  const pid0 = await replicaPid(st.adminUrl, "default/0");
  if (!check("worker pid", pid0 > 0, `default/0 pid ${pid0}`)) return;
  process.kill(pid0, "SIGSTOP");
  await waitFiring(st.promUrl, "R1ServeReplicaDown", { replica: "default/0" }, 45000);
  await waitFiring(st.promUrl, "R1ServeTargetDown", { job: "r1serve-worker", instance: "default/0" }, 45000);
  const upv = await query(st.promUrl, 'up{job="r1serve-worker",instance="default/0"}');
  check("up == 0 while stopped", upv.length === 1 && upv[0].value[1] === "0", JSON.stringify(upv.map((r) => r.value[1])));
  process.kill(pid0, "SIGCONT");
  await waitResolved(st.promUrl, "R1ServeReplicaDown", { replica: "default/0" }, 45000);
  await waitResolved(st.promUrl, "R1ServeTargetDown", { instance: "default/0" }, 45000);
}

// 4: injected errors through a config reload (the workers are rolled).
async function faultErrors(st) {
  const hasClientMetric = (await query(st.promUrl, "count(r1_gateway_responses_total)")).length > 0;
  fs.writeFileSync(st.cfgPath, gatewayConfig(st.model, [...BASE_ARGS, "--fault-error-rate", "0.3", "--fault-seed", "7"]));
  const rl = await http(`${st.adminUrl}/admin/reload`, { method: "POST" });
  check("reload with --fault-error-rate 0.3", rl.status === 200, rl.text);
  await waitFiring(st.promUrl, "R1ServeUpstreamErrorRateHigh", { version: "default" }, 90000);
  const ratio = await query(st.promUrl, 'job_version:r1_gateway_upstream_errors:ratio_rate5m{version="default"}');
  check("upstream error ratio over 0.5%", ratio.length === 1 && Number(ratio[0].value[1]) > 0.005,
    ratio.length ? `ratio ${Number(ratio[0].value[1]).toFixed(3)}` : "no sample");
  if (hasClientMetric) await waitFiring(st.promUrl, "R1ServeErrorRateHigh", {}, 60000);
  else log("NOTE r1_gateway_responses_total not exported by this gateway: R1ServeErrorRateHigh (client-facing) not exercised");
  fs.writeFileSync(st.cfgPath, gatewayConfig(st.model, BASE_ARGS));
  const rl2 = await http(`${st.adminUrl}/admin/reload`, { method: "POST" });
  check("reload without the fault", rl2.status === 200, rl2.text);
  await waitResolved(st.promUrl, "R1ServeUpstreamErrorRateHigh", {}, 120000);
  if (hasClientMetric) await waitResolved(st.promUrl, "R1ServeErrorRateHigh", {}, 60000);
  await waitFor("2 healthy after the roll", 60000, async () => (await healthyCount(st.adminUrl)) === 2);
}

// 5: crash loop: three kill -9 of default/1 in a row.
async function faultCrashLoop(st) {
  let kills = 0;
  for (let k = 0; k < 3; ++k) {
    const pid = await waitFor("a live default/1", 20000, async () => replicaPid(st.adminUrl, "default/1"));
    if (!pid) break;
    process.kill(pid, "SIGKILL");
    kills += 1;
    await waitFor("default/1 restarted", 20000, async () => {
      const p = await replicaPid(st.adminUrl, "default/1");
      return p && p !== pid;
    });
  }
  check("3 kills of default/1", kills === 3);
  await waitFiring(st.promUrl, "R1ServeReplicaCrashLooping", { replica: "default/1" }, 30000);
  await waitResolved(st.promUrl, "R1ServeReplicaCrashLooping", { replica: "default/1" }, 60000);
  await waitFor("2 healthy after the crashes", 60000, async () => (await healthyCount(st.adminUrl)) === 2);
}

// 6: the dashboard's queries, after all that traffic.
async function checkDashboard(st) {
  const dash = JSON.parse(fs.readFileSync(path.join(ROOT, "deploy/grafana/r1serve.json"), "utf8"));
  const qs = dashboardQueries(dash);
  const empty = [];
  let nan = 0;
  for (const q of qs) {
    try {
      const r = await query(st.promUrl, q.expr);
      if (r.length === 0) empty.push(`${q.panel}: ${q.expr}`);
      nan += r.filter((s) => s.value && s.value[1] === "NaN").length;
    } catch (e) { empty.push(`${q.panel}: ${e.message}`); }
  }
  check("dashboard queries return data", qs.length > 20 && empty.length === 0,
    `${qs.length - empty.length}/${qs.length} non-empty (${nan} NaN samples)` + (empty.length ? `; failing: ${empty.join(" || ")}` : ""));
  const pools = await getJson(`${st.promUrl}/api/v1/label/pool/values?match[]=r1serve_build_info`);
  check("dashboard variable pool", pools.data.length > 0, JSON.stringify(pools.data));
}

async function main() {
  const st = await startStack();
  if (!st) return;
  traffic = startTraffic(st.ports.proxy, 2);
  await checkDiscovery(st);
  await waitFor("traffic", 30000, async () => (traffic.codes[200] || 0) >= 20);
  await faultHang(st);
  await faultErrors(st);
  await faultCrashLoop(st);
  await sleep(3000);
  await checkDashboard(st);
  traffic.stop = true;
  await Promise.all(traffic.loops);
  log(`traffic: ${JSON.stringify(traffic.codes)}, transport errors ${traffic.errors}`);
}

let crashed = null;
try {
  await main();
} catch (e) {
  crashed = e;
  check("no exception", false, e.stack || String(e));
}
const failed = results.filter((r) => !r[1]);
if (failed.length) {
  for (const e of children) {
    console.log(`--- ${e.name} log (tail) ---\n${logOf(e).slice(-4000)}`);
  }
}
await stopChildren();
if (!args.keep) fs.rmSync(TMP, { recursive: true, force: true });
console.log(`monitoring e2e: ${results.length - failed.length}/${results.length} checks passed in ${elapsed()}` +
  (failed.length ? `; FAILED: ${failed.map((f) => f[0]).join(", ")}` : ""));
process.exit(failed.length || crashed ? 1 : 0);
