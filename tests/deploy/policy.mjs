// What r1serve requires of its own Kubernetes objects beyond the schema
// (validate.mjs --policy), checked on a whole rendered stream:
//   P1 every container and init container: cpu and memory requests and
//      limits; allowPrivilegeEscalation false, readOnlyRootFilesystem true,
//      capabilities.drop ALL, runAsNonRoot (pod or container); the pod:
//      seccompProfile RuntimeDefault
//   P2 every long-running container: readiness and liveness probes; a
//      StatefulSet's also a startup probe
//   P3 a container with a preStop sleep S and --grace-seconds=G: the pod's
//      terminationGracePeriodSeconds > S + G
//   P4 every ConfigMap and Secret a pod refers to (envFrom, env valueFrom,
//      volumes, projected sources) is in the stream
//   P5 every Service selects some pod template; a StatefulSet's
//      serviceName is a headless Service in the stream
//   P6 every HPA's scaleTargetRef and every PDB's selector hit a workload
//   P7 every namespaced object's namespace is declared in the stream (when
//      the stream declares any Namespace)
const workloadKinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

function podSpecOf(obj) {
  return workloadKinds.has(obj.kind) ? obj.spec?.template?.spec : undefined;
}

function matches(selector, labels) {
  const want = selector ?? {};
  return Object.keys(want).length > 0 && Object.entries(want).every(([k, v]) => labels?.[k] === v);
}

function containerErrors(pod, c, init) {
  const out = [];
  const name = `${init ? "initContainer" : "container"} ${c.name}`;
  for (const kind of ["requests", "limits"]) {
    for (const r of ["cpu", "memory"]) {
      if (c.resources?.[kind]?.[r] === undefined) out.push(`P1 ${name}: no resources.${kind}.${r}`);
    }
  }
  const sc = c.securityContext ?? {};
  if (sc.allowPrivilegeEscalation !== false) out.push(`P1 ${name}: allowPrivilegeEscalation must be false`);
  if (sc.readOnlyRootFilesystem !== true) out.push(`P1 ${name}: readOnlyRootFilesystem must be true`);
  if (!(sc.capabilities?.drop ?? []).includes("ALL")) out.push(`P1 ${name}: capabilities.drop must include ALL`);
  if (sc.runAsNonRoot !== true && pod.securityContext?.runAsNonRoot !== true) out.push(`P1 ${name}: runAsNonRoot`);
  return out;
}

function probeErrors(obj, pod, c) {
  const out = [];
  const probes = obj.kind === "StatefulSet" ? ["startupProbe", "readinessProbe", "livenessProbe"]
    : ["readinessProbe", "livenessProbe"];
  for (const p of probes) if (c[p] === undefined) out.push(`P2 container ${c.name}: no ${p}`);
  const cmd = c.lifecycle?.preStop?.exec?.command ?? [];
  const sleep = cmd[0] === "sleep" ? Number(cmd[1]) : (c.lifecycle?.preStop?.sleep?.seconds ?? 0);
  const graceArg = (c.args ?? []).find((a) => String(a).startsWith("--grace-seconds="));
  const grace = graceArg ? Number(String(graceArg).split("=")[1]) : 0;
  const period = pod.terminationGracePeriodSeconds ?? 30;
  if (sleep + grace > 0 && !(period > sleep + grace)) {
    out.push(`P3 container ${c.name}: terminationGracePeriodSeconds ${period} <= preStop ${sleep} + grace ${grace}`);
  }
  return out;
}

function referencedNames(pod) {
  const refs = [];
  for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef && e.configMapRef.optional !== true) refs.push(["ConfigMap", e.configMapRef.name]);
      if (e.secretRef && e.secretRef.optional !== true) refs.push(["Secret", e.secretRef.name]);
    }
    for (const e of c.env ?? []) {
      const v = e.valueFrom ?? {};
      if (v.configMapKeyRef && v.configMapKeyRef.optional !== true) refs.push(["ConfigMap", v.configMapKeyRef.name]);
      if (v.secretKeyRef && v.secretKeyRef.optional !== true) refs.push(["Secret", v.secretKeyRef.name]);
    }
  }
  for (const v of pod.volumes ?? []) {
    if (v.configMap) refs.push(["ConfigMap", v.configMap.name]);
    if (v.secret) refs.push(["Secret", v.secret.secretName]);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap) refs.push(["ConfigMap", s.configMap.name]);
      if (s.secret) refs.push(["Secret", s.secret.name]);
    }
  }
  return refs;
}

function workloadErrors(obj, have) {
  const pod = podSpecOf(obj);
  if (!pod) return [];
  const out = [];
  if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault") out.push("P1 pod: seccompProfile RuntimeDefault");
  for (const c of pod.initContainers ?? []) out.push(...containerErrors(pod, c, true));
  for (const c of pod.containers ?? []) {
    out.push(...containerErrors(pod, c, false));
    if (obj.kind !== "Job") out.push(...probeErrors(obj, pod, c));
  }
  for (const [kind, name] of referencedNames(pod)) {
    if (!have.has(`${kind}/${obj.metadata?.namespace ?? ""}/${name}`)) out.push(`P4 refers to ${kind} ${name}, not in the stream`);
  }
  return out;
}

export function policyErrors(docs) {
  const objs = docs.map((d) => d.obj);
  const have = new Set(objs.map((o) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`));
  const workloads = objs.filter((o) => podSpecOf(o));
  const namespaces = new Set(objs.filter((o) => o.kind === "Namespace").map((o) => o.metadata?.name));
  const errors = [];
  const add = (doc, message) => errors.push({ doc, message });
  for (const doc of docs) {
    const o = doc.obj;
    for (const m of workloadErrors(o, have)) add(doc, m);
    const ns = o.metadata?.namespace;
    const inNs = (w) => (w.metadata?.namespace ?? "") === (ns ?? "");
    if (o.kind === "Service" && o.spec?.selector &&
        !workloads.some((w) => inNs(w) && matches(o.spec.selector, w.spec.template?.metadata?.labels))) {
      add(doc, "P5 the selector matches no pod template");
    }
    if (o.kind === "StatefulSet") {
      const svc = objs.find((s) => s.kind === "Service" && s.metadata?.name === o.spec?.serviceName && inNs(s));
      if (!svc || svc.spec?.clusterIP !== "None") add(doc, `P5 serviceName ${o.spec?.serviceName}: no headless Service`);
    }
    if (o.kind === "HorizontalPodAutoscaler") {
      const t = o.spec?.scaleTargetRef ?? {};
      if (!workloads.some((w) => inNs(w) && w.kind === t.kind && w.metadata?.name === t.name)) {
        add(doc, `P6 scaleTargetRef ${t.kind}/${t.name} is not in the stream`);
      }
    }
    if (o.kind === "PodDisruptionBudget" &&
        !workloads.some((w) => inNs(w) && matches(o.spec?.selector?.matchLabels, w.spec.template?.metadata?.labels))) {
      add(doc, "P6 the selector matches no workload");
    }
    if (namespaces.size > 0 && o.kind !== "Namespace" && !namespaces.has(ns)) {
      add(doc, `P7 namespace ${ns ?? "(none)"} is not declared in the stream`);
    }
  }
  return errors;
}
