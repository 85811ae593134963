// Negative tests of validate.mjs: each case breaks ONE thing in a real
// rendered stream (kustomize build output), runs the validator as a separate
// process and requires that it fails with the expected message; the
// unbroken stream must pass first, so every failure is the mutation's.
//
//   node negative.mjs RENDERED.yaml
// Prints one line per case and "negative: N passed, M failed".
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = path.dirname(fileURLToPath(import.meta.url));
const modulesRoot = process.env.R1_DEPLOY_NPM ?? path.join(here, "..", "..", ".cache", "deploy-npm");
const YAML = createRequire(path.join(modulesRoot, "package.json"))("yaml");

const find = (docs, kind, name) => docs.find((d) => d.kind === kind && (!name || d.metadata.name.startsWith(name)));
const worker = (docs) => find(docs, "StatefulSet", "r1serve-worker");
const workerC = (docs) => worker(docs).spec.template.spec.containers[0];
const gatewayC = (docs) => find(docs, "Deployment", "r1serve-gateway").spec.template.spec.containers[0];

// [what, mutate(docs) | {text: (yamlText) => yamlText}, expected substring]
const cases = [
  ["replicas is a string", (d) => { worker(d).spec.replicas = "two"; }, "[schema] /spec/replicas must be integer"],
  ["containerPort is a string", (d) => { workerC(d).ports[0].containerPort = "8080"; }, "containerPort must be integer"],
  ["unknown field in a spec", (d) => { worker(d).spec.replicaz = 2; }, "'\"replicaz\"' does not exist in type 'IStatefulSetSpec'"],
  ["misspelt probe, deep in a container", (d) => {
    const c = workerC(d); c.readinessprobe = c.readinessProbe; delete c.readinessProbe;
  }, "'\"readinessprobe\"' does not exist in type 'IContainer'"],
  ["Service type not in the enum", (d) => { find(d, "Service", "r1serve-gateway").spec.type = "Headless"; },
    "[strict] Type '\"Headless\"' is not assignable"],
  ["enum of podManagementPolicy", (d) => { worker(d).spec.podManagementPolicy = "Serial"; },
    "podManagementPolicy must be equal to one of the allowed values"],
  ["container without a name", (d) => { delete gatewayC(d).name; }, "/spec/template/spec/containers/0 must have required property name"],
  ["apiVersion that does not exist", (d) => { find(d, "HorizontalPodAutoscaler").apiVersion = "autoscaling/v3"; },
    "no schema for apiVersion \"autoscaling/v3\""],
  ["misspelt kind", (d) => { find(d, "PodDisruptionBudget").kind = "PodDisruptionBudjet"; }, "no schema for"],
  ["mode that is not an int32", (d) => {
    worker(d).spec.template.spec.volumes.find((v) => v.projected).projected.defaultMode = 2 ** 40;
  }, "must match format \"int32\""],
  ["duplicate key (YAML)", { text: (t) => t.replace("kind: StatefulSet\n", "kind: StatefulSet\nkind: StatefulSet\n") },
    "[yaml]"],
  ["policy P1: writable root filesystem", (d) => { gatewayC(d).securityContext.readOnlyRootFilesystem = false; },
    "[policy] P1 container gateway: readOnlyRootFilesystem must be true"],
  ["policy P1: no CPU limit", (d) => { delete workerC(d).resources.limits.cpu; }, "P1 container worker: no resources.limits.cpu"],
  ["policy P1: capabilities kept", (d) => { delete find(d, "StatefulSet").spec.template.spec.initContainers[0].securityContext.capabilities; },
    "P1 initContainer model: capabilities.drop must include ALL"],
  ["policy P2: no startup probe", (d) => { delete workerC(d).startupProbe; }, "P2 container worker: no startupProbe"],
  ["policy P3: grace period shorter than drain", (d) => { worker(d).spec.template.spec.terminationGracePeriodSeconds = 30; },
    "P3 container worker: terminationGracePeriodSeconds 30 <= preStop 10 + grace 30"],
  ["policy P4: Secret name without kustomize's hash", (d) => {
    workerC(d).env.find((e) => e.name === "R1SERVE_API_KEY").valueFrom.secretKeyRef.name = "r1serve-api-keys";
  }, "P4 refers to Secret r1serve-api-keys, not in the stream"],
  ["policy P5: Service selects nothing", (d) => {
    find(d, "Service", "r1serve-worker").spec.selector["app.kubernetes.io/component"] = "wroker";
  }, "P5 the selector matches no pod template"],
  ["policy P6: HPA scales a missing StatefulSet", (d) => { find(d, "HorizontalPodAutoscaler").spec.scaleTargetRef.name = "r1"; },
    "P6 scaleTargetRef StatefulSet/r1"],
];

function validate(text, dir, n) {
  const file = path.join(dir, `case-${n}.yaml`);
  fs.writeFileSync(file, text);
  const r = spawnSync(process.execPath, [path.join(here, "validate.mjs"), "--policy", file], { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const source = fs.readFileSync(process.argv[2], "utf8");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "r1-negative-"));
let passed = 0;
let failed = 0;
const control = validate(source, dir, 0);
if (control.status !== 0) {
  console.log(`  FAIL the unbroken stream does not pass:\n${control.out}`);
  failed++;
} else {
  cases.forEach(([what, mutate, expected], i) => {
    let text;
    if (typeof mutate === "function") {
      const docs = YAML.parseAllDocuments(source).map((d) => d.toJS());
      mutate(docs);
      text = docs.map((d) => YAML.stringify(d)).join("---\n");
    } else {
      text = mutate.text(source);
    }
    const r = validate(text, dir, i + 1);
    if (r.status === 1 && r.out.includes(expected)) {
      passed++;
      console.log(`  ok   rejects: ${what}`);
    } else {
      failed++;
      console.log(`  FAIL ${what}: status ${r.status}, expected "${expected}" in:\n${r.out.slice(0, 1500)}`);
    }
  });
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(`negative: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
