/** The parts of Kubernetes objects the cluster target reads and writes, typed as far as kfwd uses them. */

export interface ObjectMeta {
  name: string;
  ownerReferences?: { kind: string; name: string }[];
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  creationTimestamp?: string;
  resourceVersion?: string;
}

export interface EnvVarSource {
  fieldRef?: { fieldPath: string; apiVersion?: string };
  resourceFieldRef?: { resource: string; containerName?: string; divisor?: string };
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
  secretKeyRef?: { name: string; key: string; optional?: boolean };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
}

export interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  securityContext?: SecurityContext;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  volumeMounts?: VolumeMount[];
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  subPathExpr?: string;
}

/** A pod volume: its name plus one source key (configMap, secret, projected, emptyDir, ...) kfwd only names. */
export interface Volume {
  name: string;
  [source: string]: unknown;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  state?: ContainerState;
}

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface Pod {
  metadata: ObjectMeta;
  spec: {
    containers: Container[];
    ephemeralContainers?: Container[];
    securityContext?: SecurityContext;
    nodeName?: string;
    serviceAccountName?: string;
    enableServiceLinks?: boolean;
    imagePullSecrets?: { name: string }[];
    volumes?: Volume[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
    hostIPs?: { ip: string }[];
    conditions?: PodCondition[];
    containerStatuses?: ContainerStatus[];
    ephemeralContainerStatuses?: ContainerStatus[];
  };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Deployment, StatefulSet, ReplicaSet: kfwd only needs the selector. */
export interface Workload {
  metadata: ObjectMeta;
  spec: { selector: LabelSelector };
}

export interface Service {
  metadata: ObjectMeta;
  spec: { selector?: Record<string, string> };
}

export interface EndpointSlice {
  metadata: ObjectMeta;
  endpoints?: { conditions?: { ready?: boolean }; targetRef?: { kind?: string; name?: string } }[];
}

export interface KubeEvent {
  metadata: ObjectMeta;
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string; uid?: string };
}

export interface Job {
  metadata: ObjectMeta;
  status?: {
    active?: number;
    ready?: number;
    succeeded?: number;
    failed?: number;
    conditions?: { type: string; status: string }[];
  };
}

/** authentication.k8s.io/v1: who the API server says the caller is. */
export interface SelfSubjectReview {
  status?: { userInfo?: { username?: string; groups?: string[] } };
}

/** GET /version. */
export interface ServerVersion {
  gitVersion?: string;
  platform?: string;
}

/** GET /api/v1 (and /apis/<group>/<version>): the resources a group version serves. */
export interface APIResourceList {
  resources?: { name: string; verbs?: string[] }[];
}
