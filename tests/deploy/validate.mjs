// Validates Kubernetes manifests (multi-document YAML streams) against the
// Kubernetes OpenAPI schema, two ways, both from the npm package
// kubernetes-models (generated from the Kubernetes OpenAPI spec):
//   1. schema: its ajv validators (types, required fields, enums, formats
//      such as int32 and byte, patterns);
//   2. strict: its TypeScript types, type-checked by the TypeScript compiler
//      with every object as a fresh object literal, so a field the schema
//      does not have ("readinessprobe", "replicaz") is an error at any
//      depth, as kubectl's --validate=strict does on the server. Enum and
//      literal types (apiVersion, kind) are checked here too.
// Then the policy checks of policy.mjs (--policy): what this project
// requires of its own manifests beyond the schema.
//
//   node validate.mjs [--policy] FILE...      (FILE "-": stdin)
// Exit 0 when every document passes; else 1, one line per error:
//   FILE#N Kind/name: [schema|strict|policy] message
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { policyErrors } from "./policy.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
// node_modules lives in .cache/deploy-npm (scripts/setup.d/20-deploy.sh).
const modulesRoot = process.env.R1_DEPLOY_NPM ?? path.join(here, "..", "..", ".cache", "deploy-npm");
const require = createRequire(path.join(modulesRoot, "package.json"));
const YAML = require("yaml");
const ts = require("typescript");
const modelsDir = path.join(modulesRoot, "node_modules", "kubernetes-models");
const modelsExports = JSON.parse(fs.readFileSync(path.join(modelsDir, "package.json"), "utf8")).exports;

// apiVersion + kind -> the kubernetes-models module ("kubernetes-models/
// apps/v1/StatefulSet") and its file; null when the package has none.
function modelPath(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
  if (!/^[A-Za-z0-9.]+(\/[A-Za-z0-9]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return null;
  const file = path.join(modelsDir, apiVersion, `${kind}.js`);
  if (!(`./${apiVersion}/*` in modelsExports) || !fs.existsSync(file)) return null;
  return { spec: `kubernetes-models/${apiVersion}/${kind}`, file };
}

function loadDocuments(files) {
  const docs = [];
  for (const file of files) {
    const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
    // YAML 1.1 like Kubernetes' own parser (sigs.k8s.io/yaml): 0440 is
    // octal, yes/no are booleans.
    const parsed = YAML.parseAllDocuments(text, { version: "1.1", uniqueKeys: true });
    parsed.forEach((d, i) => {
      const where = `${file}#${i + 1}`;
      if (d.errors.length > 0) {
        docs.push({ where, error: `yaml: ${d.errors[0].message.split("\n")[0]}` });
        return;
      }
      const obj = d.toJS();
      if (obj === null || obj === undefined) return;  // empty document
      // Secret data is base64; kustomize wraps it at 70 columns, and the
      // API server's decoder (Go's encoding/base64) skips \r and \n, so do
      // the same before the "byte" format check.
      if (obj?.kind === "Secret" && obj.data && typeof obj.data === "object") {
        for (const k of Object.keys(obj.data)) {
          if (typeof obj.data[k] === "string") obj.data[k] = obj.data[k].replace(/[\r\n]/g, "");
        }
      }
      docs.push({ where, obj });
    });
  }
  return docs;
}

function label(doc) {
  const o = doc.obj ?? {};
  return `${doc.where} ${o.kind ?? "?"}/${o.metadata?.name ?? "?"}`;
}

async function schemaErrors(doc) {
  const { apiVersion, kind } = doc.obj;
  const model = modelPath(apiVersion, kind);
  if (model === null) return [`no schema for apiVersion ${JSON.stringify(apiVersion)} kind ${JSON.stringify(kind)} in kubernetes-models`];
  const Model = (await import(pathToFileURL(model.file).href))[kind];
  try {
    new Model(doc.obj).validate();
    return [];
  } catch (e) {
    const details = (e.errors ?? []).map((x) => `${x.instancePath || "/"} ${x.message}`);
    return details.length > 0 ? details : [String(e.message ?? e)];
  }
}

// One TypeScript file: `export const d0: IStatefulSet = {...};` per
// document, compiled in memory against the package's .d.ts files.
function strictErrors(docs) {
  const lines = [];
  const owner = [];  // line -> doc index
  const seen = new Map();
  docs.forEach((doc, i) => {
    const { apiVersion, kind } = doc.obj;
    const model = modelPath(apiVersion, kind);
    if (model === null) return;  // reported by schemaErrors
    const spec = model.spec;
    const alias = seen.get(spec) ?? `T${seen.size}`;
    if (!seen.has(spec)) {
      seen.set(spec, alias);
      lines.push(`import type { I${kind} as ${alias} } from "${spec}";`);
      owner.push(-1);
    }
    const body = JSON.stringify(doc.obj, null, 2).split("\n");
    body[0] = `export const d${i}: ${alias} = ${body[0]}`;
    body[body.length - 1] += ";";
    for (const l of body) { lines.push(l); owner.push(i); }
  });
  const fileName = path.join(modulesRoot, "__manifests__.ts");
  const source = lines.join("\n");
  const options = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (f) => (f === fileName ? source : readFile(f));
  host.fileExists = (f) => f === fileName || fileExists(f);
  host.getSourceFile = (f, lang, ...rest) =>
    f === fileName ? ts.createSourceFile(f, source, lang, true) : getSourceFile(f, lang, ...rest);
  const program = ts.createProgram([fileName], options, host);
  const out = new Map();  // doc index -> messages
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, " ").replace(/\s+/g, " ");
    let i = -1;
    let at = "";
    if (d.file?.fileName === fileName && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      i = owner[line];
      at = ` (at: ${lines[line].trim().slice(0, 80)})`;
    }
    if (!out.has(i)) out.set(i, []);
    out.get(i).push(msg.slice(0, 300) + at);
  }
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const policy = args.includes("--policy");
  const files = args.filter((a) => a !== "--policy");
  if (files.length === 0) {
    console.error("usage: node validate.mjs [--policy] FILE...");
    process.exit(2);
  }
  const docs = loadDocuments(files);
  const errors = [];
  for (const doc of docs) {
    if (doc.error) errors.push(`${doc.where}: [yaml] ${doc.error}`);
  }
  const good = docs.filter((d) => !d.error);
  for (const doc of good) {
    for (const e of await schemaErrors(doc)) errors.push(`${label(doc)}: [schema] ${e}`);
  }
  const strict = strictErrors(good);
  for (const [i, msgs] of strict) {
    const where = i >= 0 ? label(good[i]) : "(compiler)";
    for (const m of msgs) errors.push(`${where}: [strict] ${m}`);
  }
  if (policy) {
    for (const { doc, message } of policyErrors(good)) errors.push(`${label(doc)}: [policy] ${message}`);
  }
  for (const e of errors) console.log(e);
  const kinds = new Set(good.map((d) => d.obj.kind));
  console.log(`validate: ${good.length} objects (${[...kinds].sort().join(", ")}), ${errors.length} error(s)`);
  process.exit(errors.length === 0 ? 0 : 1);
}

await main();
