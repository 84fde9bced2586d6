/**
 * Waiting for the agent's container to run, and failing as soon as the cluster says it will not: an image the
 * node cannot pull, a pod the scheduler cannot place, a Job whose pod cannot be created (events), a container
 * that exits. Otherwise the wait ends at start_timeout, naming what it was still waiting for.
 */
import { KfwdError } from "../../errors";
import { apiPath, type KubeClient } from "../../kube/index";
import type { ContainerStatus, KubeEvent, Pod } from "../../kube/types";

export interface WaitSpec {
  namespace: string;
  /** Pods to watch: a label selector (the Job's pod) or one pod by name (ephemeral container). */
  labelSelector?: string;
  podName?: string;
  container: string;
  ephemeral: boolean;
  /** Objects whose Warning events end the wait (the Job: FailedCreate). */
  eventsFor: string[];
  image: string;
  timeoutMs: number;
  progress: (step: string) => void;
  /** Ends the wait early (the agent was exec'd before the kubelet reported the container running). */
  signal?: AbortSignal;
  /** Wait for the container to exit (whatever its code) rather than to run: `kfwd doctor`'s one-shot pod. */
  untilExit?: boolean;
  /** Called once, when a watched pod has a node: its containers start soon, exec may be tried from now on. */
  onScheduled?: (pod: Pod) => void;
}

const PULL_FAILURES = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "RegistryUnavailable",
]);
const CONFIG_FAILURES = new Set([
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "CrashLoopBackOff",
]);

/** `reached`: the container runs (or, with untilExit, has exited). */
type Verdict = { reached: Pod } | { failed: KfwdError } | { waiting: string };

export async function waitForAgent(client: KubeClient, spec: WaitSpec): Promise<Pod> {
  const abort = new AbortController();
  let lastWaiting = "the agent's pod to appear";
  return await new Promise<Pod>((resolve, reject) => {
    const finish = (v: Verdict): void => {
      if ("waiting" in v) {
        if (v.waiting !== lastWaiting) spec.progress(`Waiting for ${v.waiting}`);
        lastWaiting = v.waiting;
        return;
      }
      clearTimeout(timer);
      abort.abort();
      if ("reached" in v) resolve(v.reached);
      else reject(v.failed);
    };
    const timer = setTimeout(
      () =>
        finish({
          failed: new KfwdError(
            "KFWD_AGENT_START_TIMEOUT",
            `Cannot start the agent within ${spec.timeoutMs / 1000}s: still waiting for ${lastWaiting}`,
            "Raise [agent] start_timeout if the cluster is slow (image pulls), or check the namespace's events.",
          ),
        }),
      spec.timeoutMs,
    );
    spec.signal?.addEventListener(
      "abort",
      () => finish({ failed: new KfwdError("KFWD_AGENT_START_STOPPED", "Stopped waiting for the agent's container") }),
      { once: true },
    );
    const fail = (e: unknown): void =>
      finish({
        failed:
          e instanceof KfwdError
            ? e
            : new KfwdError("KFWD_AGENT_START_FAILED", `Cannot watch the agent start: ${String(e)}`),
      });
    let scheduled = false;
    const query = spec.podName
      ? { fieldSelector: `metadata.name=${spec.podName}` }
      : { labelSelector: spec.labelSelector };
    const watchPods = (): void => {
      client
        .watch<Pod>(
          apiPath({ resource: "pods", namespace: spec.namespace }),
          (ev) => {
            if (ev.type === "DELETED")
              finish({
                failed: new KfwdError(
                  "KFWD_AGENT_START_FAILED",
                  `Cannot start the agent: pod "${ev.object.metadata.name}" was deleted while it started`,
                ),
              });
            else if (ev.type !== "BOOKMARK") {
              if (!scheduled && ev.object.spec?.nodeName) {
                scheduled = true;
                spec.onScheduled?.(ev.object);
              }
              finish(judge(ev.object, spec));
            }
          },
          abort.signal,
          query,
        )
        .then(() => {
          if (!abort.signal.aborted) watchPods(); // the server ended the watch early: start another
        }, fail);
    };
    watchPods();
    if (spec.eventsFor.length > 0) {
      void client
        .watch<KubeEvent>(
          apiPath({ resource: "events", namespace: spec.namespace }),
          (ev) => {
            const e = ev.object;
            if (
              e.type === "Warning" &&
              spec.eventsFor.includes(e.involvedObject?.name ?? "") &&
              e.reason === "FailedCreate"
            ) {
              const psa = /violates PodSecurity/.test(e.message ?? "");
              finish({
                failed: new KfwdError(
                  psa ? "KFWD_POD_SECURITY_REJECTED" : "KFWD_AGENT_START_FAILED",
                  `Cannot create the agent's pod: ${e.message}`,
                  psa
                    ? "The namespace's Pod Security level rejects the agent pod."
                    : "The Job controller could not create the pod (quota, admission policy); its message says why.",
                ),
              });
            }
          },
          abort.signal,
          { fieldSelector: "type=Warning" },
        )
        .catch(() => {});
    }
  });
}

function judge(pod: Pod, spec: WaitSpec): Verdict {
  const statuses = (spec.ephemeral ? pod.status?.ephemeralContainerStatuses : pod.status?.containerStatuses) ?? [];
  const status = statuses.find((s) => s.name === spec.container);
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
    return {
      failed: new KfwdError(
        "KFWD_AGENT_UNSCHEDULABLE",
        `Cannot schedule the agent pod "${pod.metadata.name}": ${scheduled.message ?? "the scheduler found no node"}`,
        "Lower [agent] cpu/memory, or free capacity in the cluster.",
      ),
    };
  }
  if (!status)
    return {
      waiting:
        scheduled?.status === "True" || spec.ephemeral
          ? `container ${spec.container} to be created`
          : `pod ${pod.metadata.name} to be scheduled`,
    };
  return judgeContainer(pod, status, spec);
}

function judgeContainer(pod: Pod, status: ContainerStatus, spec: WaitSpec): Verdict {
  const { waiting, running, terminated } = status.state ?? {};
  const where = `container ${spec.container} of pod "${pod.metadata.name}"`;
  if (spec.untilExit) {
    if (terminated) return { reached: pod };
    if (running) return { waiting: `${where} to finish` };
  } else if (running) return { reached: pod };
  if (terminated) {
    return {
      failed: new KfwdError(
        "KFWD_AGENT_START_FAILED",
        `Cannot start the agent: ${where} exited (${terminated.reason ?? "exit code"} ${terminated.exitCode ?? "?"}${terminated.message ? `: ${terminated.message}` : ""})`,
        `Does the image have Bun at the [agent] bun path? kubectl -n ${spec.namespace} logs ${pod.metadata.name} -c ${spec.container} shows its output.`,
      ),
    };
  }
  const reason = waiting?.reason ?? "";
  if (PULL_FAILURES.has(reason)) {
    return {
      failed: new KfwdError(
        "KFWD_AGENT_IMAGE_PULL",
        `Cannot start the agent: the node cannot pull image "${spec.image}" (${reason}${waiting?.message ? `: ${waiting.message}` : ""})`,
        "The image must be pullable by the cluster's nodes. Set [agent] image to a reachable image that has Bun (e.g. a mirror in your registry).",
      ),
    };
  }
  if (CONFIG_FAILURES.has(reason)) {
    return {
      failed: new KfwdError(
        "KFWD_AGENT_START_FAILED",
        `Cannot start the agent: ${where} is in ${reason}${waiting?.message ? `: ${waiting.message}` : ""}`,
        "The agent copies the target container's env; a ConfigMap or Secret it names may be missing.",
      ),
    };
  }
  return { waiting: `${where} to start${reason ? ` (${reason})` : ""}` };
}
