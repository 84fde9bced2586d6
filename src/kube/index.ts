/** The host's access to Kubernetes: kubeconfig, REST client, exec transport. */
export { KubeApiError, isKubeApiError, type KubeStatus } from "./api-errors";
export { apiPath, requestAttributes, roleRuleYaml, type ResourceRef } from "./api-path";
export { KubeClient, type AccessCheck, type PatchType, type RequestOptions, type WatchEvent } from "./client";
export {
  execTransport,
  ExecExitError,
  type ExecProtocol,
  type ExecStatus,
  type ExecTransport,
  type ExecTransportOptions,
} from "./exec";
export { kubeconfigPaths, loadKubeconfig, resolveContext, type Kubeconfig, type ResolvedContext } from "./kubeconfig";
export { portForwardTransport, type PortForwardOptions } from "./portforward";
export { updateObject } from "./update";
