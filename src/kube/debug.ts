/** `KFWD_DEBUG=kube` logs API requests and exec stream events to stderr. Never logs credentials. */
import { debug } from "../ui/log";

export const debugKube = debug("kube");
