/** A second link between kfwd and its agent (docs/wire-protocol.md §12): the secret that opens it. */
export const LINK_SECRET_BYTES = 32;
