/** What `kfwd --version` says: kfwd's version, the wire protocol it speaks, and the Bun runtime it runs on. */
import pkg from "../package.json" with { type: "json" };
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from "../wire/version";

export const VERSION: string = pkg.version;

/** One line, so scripts can `cut -d' ' -f2`; the platform shows which binary of a release is running. */
export function versionLine(): string {
  const oldest: number = MIN_PROTOCOL_VERSION;
  const protocol = oldest === PROTOCOL_VERSION ? `${PROTOCOL_VERSION}` : `${oldest}-${PROTOCOL_VERSION}`;
  return `kfwd ${VERSION} (wire protocol ${protocol}, Bun ${Bun.version}, ${process.platform}-${process.arch})`;
}
