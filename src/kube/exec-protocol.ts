/**
 * The Kubernetes remote-command WebSocket protocol (`v4.channel.k8s.io`, `v5.channel.k8s.io`): each binary
 * message starts with a channel byte. v5 adds channel 255, "close channel N", used to half-close stdin.
 */
import { KfwdError } from "../errors";
import type { KubeStatus } from "./api-errors";

export const EXEC_PROTOCOL_V5 = "v5.channel.k8s.io";
export const EXEC_PROTOCOL_V4 = "v4.channel.k8s.io";
/** Offered in order of preference. */
export const EXEC_PROTOCOLS = [EXEC_PROTOCOL_V5, EXEC_PROTOCOL_V4] as const;
export type ExecProtocol = (typeof EXEC_PROTOCOLS)[number];

export const Channel = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  /** The command's exit status, as a metav1.Status JSON. */
  error: 3,
  resize: 4,
  /** v5: the payload is the id of a channel the sender will write no more to. */
  close: 255,
} as const;

/** Largest stdin payload per WebSocket message (plus one channel byte). */
export const MAX_STDIN_PAYLOAD = 32 * 1024;

/** `[channel, ...payload]` as one message. */
export function frame(channel: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.byteLength + 1);
  out[0] = channel;
  out.set(payload, 1);
  return out;
}

/** How the command ended, from channel 3. */
export interface ExecStatus {
  success: boolean;
  /** 0 on success, the command's code for NonZeroExitCode, undefined when the command did not run. */
  exitCode: number | undefined;
  reason?: string;
  message?: string;
}

export function parseExecStatus(bytes: Uint8Array): ExecStatus {
  const text = new TextDecoder().decode(bytes);
  let s: KubeStatus;
  try {
    s = JSON.parse(text) as KubeStatus;
  } catch {
    // Protocols before v4 sent plain text on this channel; treat it as a failure message.
    return { success: false, exitCode: undefined, message: text.trim() };
  }
  if (s.status === "Success") return { success: true, exitCode: 0 };
  let exitCode: number | undefined;
  if (s.reason === "NonZeroExitCode") {
    const cause = s.details?.causes?.find((c) => c.reason === "ExitCode");
    const n = Number(cause?.message);
    if (Number.isInteger(n)) exitCode = n;
  }
  return {
    success: false,
    exitCode,
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.message ? { message: s.message } : {}),
  };
}

/** The command in the pod ended with a non-zero exit code, or could not be run. */
export class ExecExitError extends KfwdError {
  constructor(
    readonly status: ExecStatus,
    what: string,
  ) {
    super(
      status.exitCode !== undefined ? "KFWD_EXEC_EXIT" : "KFWD_EXEC_FAILED",
      status.exitCode !== undefined
        ? `Cannot run ${what}: it exited with code ${status.exitCode}`
        : `Cannot run ${what}: ${status.message ?? status.reason ?? "the API server reported a failure"}`,
      status.exitCode !== undefined ? "Its log (stderr) says why." : undefined,
    );
  }
  /** The command's exit code in the pod (not kfwd's own `exitCode`). */
  get commandExitCode(): number | undefined {
    return this.status.exitCode;
  }
}
