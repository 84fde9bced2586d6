/** kfwd's error type lives with the protocol (the agent raises it too); host code imports it from here. */
export { KfwdError, isKfwdError, isPeerHangup } from "../wire/kfwd-error";
