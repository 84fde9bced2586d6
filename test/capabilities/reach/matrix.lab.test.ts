/**
 * The client matrix on the lab cluster: a Deployment whose env names a PostgreSQL and a Redis Service beside
 * it and an HTTP API (itself), as a real app's does. Every client, unchanged, reaches them through `kfwd run`
 * with the Deployment as target (as the restricted user), and fails without kfwd.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiPath } from "../../../src/kube/api-path";
import { KubeClient } from "../../../src/kube/client";
import { KFWD } from "../../helpers/kfwd";
import { labProfile, requireLabOrSkip } from "../../helpers/lab";
import { restrictedContainer, waitDeploymentReady } from "../../helpers/lab-objects";
import { testapp } from "../../helpers/testapp";
import { compileClients, EXPECTED, matrixClients, type Results, runMatrix } from "./helpers/matrix";

const lab = requireLabOrSkip();
const id = Date.now().toString(36);
const names = { db: `db-${id}`, cache: `cache-${id}`, app: `app-${id}` };
const linkName = (service: string) => service.toUpperCase().replaceAll("-", "_");

describe.skipIf(!lab || !existsSync(KFWD))("the client matrix on the lab cluster", () => {
  let admin: KubeClient;
  let bin: string;
  let through: Results;
  let without: Results;
  const ns = lab?.namespace ?? "";
  const labels = (app: string) => ({ app, "app.kubernetes.io/managed-by": "kfwd-test" });
  const dns = (service: string) => `${service}.${ns}.svc.cluster.local`;

  const service = (name: string, port: number) =>
    admin.create(apiPath({ resource: "services", namespace: ns }), {
      metadata: { name, labels: labels(name) },
      spec: { selector: { app: name }, ports: [{ port }] },
    });
  const deployment = (name: string, container: Record<string, unknown>, uid: number, port: number) =>
    admin.create(apiPath({ group: "apps", resource: "deployments", namespace: ns }), {
      metadata: { name, labels: labels(name) },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: labels(name) },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: "main",
                imagePullPolicy: "IfNotPresent",
                readinessProbe: { tcpSocket: { port }, periodSeconds: 1 },
                securityContext: restrictedContainer(uid),
                ...container,
              },
            ],
          },
        },
      },
    });

  beforeAll(async () => {
    bin = mkdtempSync(join(tmpdir(), "kfwd-matrix-"));
    const compiled = compileClients(bin);
    admin = await KubeClient.fromKubeconfig({ kubeconfig: lab!.admin, namespace: ns });
    const app = testapp({
      name: names.app,
      replicas: 1,
      ports: { http: 8080 },
      env: [
        { name: "DATABASE_URL", value: `postgres://postgres:s3cret@${dns(names.db)}:5432/postgres?sslmode=disable` },
        { name: "REDIS_URL", value: `redis://${dns(names.cache)}:6379/0` },
        { name: "API_URL", value: `http://${dns(names.app)}:8080/` },
        { name: "DB_SERVICE_HOST", value: `$(${linkName(names.db)}_SERVICE_HOST)` },
        { name: "DB_SERVICE_PORT", value: `$(${linkName(names.db)}_SERVICE_PORT)` },
      ],
    });
    // Services first: the app's pod then gets their service-link variables from the kubelet.
    await service(names.db, 5432);
    await service(names.cache, 6379);
    await admin.create(apiPath({ resource: "services", namespace: ns }), app.service);
    await deployment(names.db, { image: "kfwd.local/postgres:1" }, 999, 5432);
    await deployment(names.cache, { image: "kfwd.local/redis:1" }, 999, 6379);
    await admin.create(apiPath({ group: "apps", resource: "deployments", namespace: ns }), app.workload);
    for (const name of Object.values(names)) await waitDeploymentReady(admin, ns, name, 1, 150_000);
    await compiled;
    const clusterIp = (
      await admin.get<{ spec: { clusterIP: string } }>(apiPath({ resource: "services", namespace: ns, name: names.db }))
    ).spec.clusterIP;
    const clients = matrixClients(bin);
    [through, without] = await Promise.all([
      runMatrix(clients, { profile: labProfile(lab!, `workload = "deployment/${names.app}"`) }),
      runMatrix(clients, {
        env: {
          DATABASE_URL: `postgres://postgres:s3cret@${dns(names.db)}:5432/postgres?sslmode=disable`,
          REDIS_URL: `redis://${dns(names.cache)}:6379/0`,
          API_URL: `http://${dns(names.app)}:8080/`,
          DB_SERVICE_HOST: clusterIp,
          DB_SERVICE_PORT: "5432",
        },
      }),
    ]);
    console.log(
      JSON.stringify(
        Object.fromEntries(Object.entries(through).map(([k, v]) => [k, [v.code, v.ms, v.output.slice(0, 60)]])),
      ),
    );
  }, 300_000);

  afterAll(async () => {
    const q = { query: { propagationPolicy: "Background" }, ignoreNotFound: true };
    for (const name of Object.values(names)) {
      await admin?.delete(apiPath({ group: "apps", resource: "deployments", namespace: ns, name }), q);
      await admin?.delete(apiPath({ resource: "services", namespace: ns, name }), q);
    }
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  for (const [name, output] of Object.entries(EXPECTED)) {
    test(`${name}: reaches the lab's Services through kfwd run, fails without it`, () => {
      expect({ name, ...through[name] }).toMatchObject({ name, code: 0, output: expect.stringMatching(output) });
      expect(without[name]?.code).not.toBe(0);
    });
  }
});
