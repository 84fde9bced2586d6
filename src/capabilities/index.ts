/**
 * Every capability kfwd has, and when a profile turns it on. A new capability is one line here (plus its own
 * folder and its profile section): the session, state, status and control socket handle the rest.
 */
import type { Profile } from "../profile/index";
import type { Capability } from "./capability";
import { files, filesSettings } from "./files/index";
import { outgoing, outgoingSettings } from "./outgoing/index";

const REGISTRY: ReadonlyArray<(profile: Profile) => Capability | undefined> = [
  (profile) => outgoing(outgoingSettings(profile)),
  (profile) => {
    const settings = filesSettings(profile);
    return settings ? files(settings) : undefined;
  },
];

/** The profile's capabilities, in the order they start (and the reverse of the order they stop). */
export function capabilitiesFor(profile: Profile): Capability[] {
  return REGISTRY.map((make) => make(profile)).filter((c): c is Capability => c !== undefined);
}
