/**
 * A pod whose files kfwd copies, on the lab: a ConfigMap at /etc/config, a Secret at /secrets (with
 * GOOGLE_APPLICATION_CREDENTIALS pointing into it), and an emptyDir at /data that an init container fills with
 * a 100 MiB file, a tree of 2,000 small files, a manifest of their sha256, and hostile links (to /etc/passwd,
 * ../../.., /). The app serves /data/big.bin on :8080, so a run can measure the tunnel's own download rate.
 * Images: the lab's Bun image (no shell in it: scripts run with `bun -e`). Created as admin, removed after.
 */
import { apiPath } from "../../../../src/kube/api-path";
import { KubeClient } from "../../../../src/kube/client";
import { execTransport } from "../../../../src/kube/exec";
import { BUN_IMAGE, restrictedContainer, waitDeploymentReady } from "../../../helpers/lab-objects";

export const SECRET_KEY_JSON = '{"type":"service_account","private_key":"not-a-real-key"}';
export const CONFIG_V1 = "greeting: hello\n";
export const BIG_MIB = 100;
export const TREE_FILES = 2000;

const RESTRICTED = { ...restrictedContainer(65532), runAsGroup: 65532 };

/** Fills /data: big.bin, tree/dNN/fNN.txt, evil/ links, manifest.json (sha256 of every file, by path). */
const FILL = `
const fs = require("fs"), crypto = require("crypto");
const sums = {};
const put = (p, b) => { fs.writeFileSync(p, b); sums[p] = crypto.createHash("sha256").update(b).digest("hex"); };
const big = crypto.createHash("sha256"); const fd = fs.openSync("/data/big.bin", "w");
for (let i = 0; i < ${BIG_MIB}; i++) { const b = crypto.randomBytes(1 << 20); big.update(b); fs.writeSync(fd, b); }
fs.closeSync(fd); sums["/data/big.bin"] = big.digest("hex");
for (let d = 0; d < ${TREE_FILES / 50}; d++) {
  fs.mkdirSync("/data/tree/d" + d, { recursive: true });
  for (let f = 0; f < 50; f++) put("/data/tree/d" + d + "/f" + f + ".txt", "file " + d + "/" + f + " " + crypto.randomBytes(8 + f).toString("hex") + "\\n");
}
fs.mkdirSync("/data/evil");
fs.symlinkSync("/etc/passwd", "/data/evil/passwd");
fs.symlinkSync("../../..", "/data/evil/up");
fs.symlinkSync("/", "/data/evil/root");
fs.symlinkSync("../../../../../../../tmp/kfwd-escape", "/data/evil/escape");
fs.writeFileSync("/data/manifest.json", JSON.stringify(sums));
`;

const SERVE = `Bun.serve({ port: 8080, fetch: () => new Response(Bun.file("/data/big.bin")) }); console.log("serving");`;

export interface FilesApp {
  name: string;
  admin: KubeClient;
  namespace: string;
  /** The running pod's name. */
  pod(): Promise<string>;
  setConfig(text: string): Promise<void>;
  /** Runs `bun -e script` in the app container (as admin) and returns its stdout. */
  exec(script: string): Promise<string>;
  remove(): Promise<void>;
}

export async function createFilesApp(lab: { admin: string; namespace: string }, name: string): Promise<FilesApp> {
  const admin = await KubeClient.fromKubeconfig({ kubeconfig: lab.admin, namespace: lab.namespace });
  const ns = lab.namespace;
  const labels = { app: name, "app.kubernetes.io/managed-by": "kfwd-test" };
  await admin.create(apiPath({ resource: "configmaps", namespace: ns }), {
    metadata: { name, labels },
    data: { "app.yaml": CONFIG_V1 },
  });
  await admin.create(apiPath({ resource: "secrets", namespace: ns }), {
    metadata: { name, labels },
    stringData: { "key.json": SECRET_KEY_JSON },
  });
  const volumeMounts = [
    { name: "config", mountPath: "/etc/config" },
    { name: "secret", mountPath: "/secrets", readOnly: true },
    { name: "data", mountPath: "/data" },
  ];
  await admin.create(apiPath({ group: "apps", resource: "deployments", namespace: ns }), {
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: 1,
          volumes: [
            { name: "config", configMap: { name } },
            { name: "secret", secret: { secretName: name } },
            { name: "data", emptyDir: {} },
          ],
          initContainers: [
            {
              name: "fill",
              image: BUN_IMAGE,
              imagePullPolicy: "IfNotPresent",
              command: ["bun", "-e", FILL],
              volumeMounts: [{ name: "data", mountPath: "/data" }],
              securityContext: RESTRICTED,
            },
          ],
          containers: [
            {
              name: "app",
              image: BUN_IMAGE,
              imagePullPolicy: "IfNotPresent",
              command: ["bun", "-e", SERVE],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
              env: [
                { name: "GOOGLE_APPLICATION_CREDENTIALS", value: "/secrets/key.json" },
                { name: "APP_CONFIG", value: "/etc/config/app.yaml" },
              ],
              volumeMounts,
              securityContext: RESTRICTED,
            },
          ],
        },
      },
    },
  });
  await admin.create(apiPath({ resource: "services", namespace: ns }), {
    metadata: { name, labels },
    spec: { selector: { app: name }, ports: [{ name: "http", port: 8080 }] },
  });
  await waitDeploymentReady(admin, ns, name, 1, 180_000);
  const pod = async (): Promise<string> => {
    const pods = await admin.list<{ metadata: { name: string }; status?: { phase?: string } }>(
      apiPath({ resource: "pods", namespace: ns }),
      { labelSelector: `app=${name}` },
    );
    const running = pods.items.find((p) => p.status?.phase === "Running");
    if (!running) throw new Error(`no running pod for ${name}`);
    return running.metadata.name;
  };
  return {
    name,
    admin,
    namespace: ns,
    pod,
    async setConfig(text) {
      await admin.patch(
        apiPath({ resource: "configmaps", namespace: ns, name }),
        { data: { "app.yaml": text } },
        "merge",
      );
    },
    async exec(script) {
      let out = "";
      const t = await execTransport(admin, {
        namespace: ns,
        pod: await pod(),
        container: "app",
        command: ["bun", "-e", script],
        stdin: false,
      });
      t.onData((d) => (out += Buffer.from(d).toString("utf8")));
      await new Promise<void>((resolve) => t.onClose(() => resolve()));
      return out;
    },
    async remove() {
      const q = { query: { propagationPolicy: "Background" }, ignoreNotFound: true };
      await admin.delete(apiPath({ group: "apps", resource: "deployments", namespace: ns, name }), q);
      await admin.delete(apiPath({ resource: "services", namespace: ns, name }), q);
      await admin.delete(apiPath({ resource: "secrets", namespace: ns, name }), q);
      await admin.delete(apiPath({ resource: "configmaps", namespace: ns, name }), q);
    },
  };
}
