/** The parts of a kubeconfig kfwd uses. File paths are already absolute; `source` is the file an entry came from. */

export interface KubeContext {
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string;
  readonly source: string;
}

export interface KubeCluster {
  readonly server: string;
  /** Absolute path of `certificate-authority`. */
  readonly certificateAuthority?: string;
  /** Decoded `certificate-authority-data` (PEM). */
  readonly certificateAuthorityData?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  readonly proxyUrl?: string;
  readonly source: string;
}

export type ExecInteractiveMode = "Never" | "IfAvailable" | "Always";

export interface ExecPluginConfig {
  readonly apiVersion: string;
  /** Absolute if the kubeconfig gave a path with a slash, else a name looked up on PATH. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly installHint?: string;
  readonly provideClusterInfo: boolean;
  readonly interactiveMode: ExecInteractiveMode;
}

export interface AuthProviderConfig {
  readonly name: string;
  readonly config: Readonly<Record<string, string>>;
}

export interface KubeUser {
  /** Absolute path of `client-certificate`. */
  readonly clientCertificate?: string;
  /** Decoded `client-certificate-data` (PEM). */
  readonly clientCertificateData?: string;
  readonly clientKey?: string;
  readonly clientKeyData?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
  readonly impersonate?: string;
  readonly impersonateGroups?: readonly string[];
  readonly authProvider?: AuthProviderConfig;
  readonly exec?: ExecPluginConfig;
  readonly source: string;
}
