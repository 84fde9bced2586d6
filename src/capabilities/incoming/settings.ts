/** [incoming] as the capability uses it. */
import type { HttpFilter, InterceptMode } from "../../../wire/intercept";
import type { Profile } from "../../profile/index";

export interface IncomingSettings {
  mode: InterceptMode;
  /** Service ports to take and the host port each goes to; empty: every TCP port, same numbers. */
  ports: ReadonlyArray<{ port: number; host: number }>;
  filter: HttpFilter | undefined;
  profilePath: string;
}

export function incomingSettings(profile: Profile): IncomingSettings | undefined {
  const i = profile.incoming;
  if (i.mode === undefined) return undefined;
  const filter = i.header !== undefined || i.path !== undefined ? { header: i.header, path: i.path } : undefined;
  return { mode: i.mode, ports: i.ports, filter, profilePath: profile.source.path };
}
