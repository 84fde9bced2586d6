/**
 * Every capability kfwd has, and when a profile turns it on. A new capability is one line here (plus its own
 * folder and its profile section): the session, state, status and control socket handle the rest.
 */
import type { Profile } from "../profile/index";
import type { Capability } from "./capability";
import { incomingFor } from "./incoming/index";
import { files, filesSettings } from "./files/index";
import { outgoing, outgoingSettings } from "./outgoing/index";
import { transparent } from "./transparent/index";
import { reach, reachSettings } from "./reach/index";

/** What a command line adds to the profile (`kfwd run --transparent`). */
export interface CapabilityFlags {
  transparent?: boolean | undefined;
}

const REGISTRY: ReadonlyArray<(profile: Profile, flags: CapabilityFlags) => Capability | undefined> = [
  (profile) => outgoing(outgoingSettings(profile)),
  // After outgoing: its JVM options name the proxies outgoing started.
  (profile) => reach(reachSettings(profile)),
  (profile) => incomingFor(profile),
  (profile, flags) => (flags.transparent || profile.reach.transparent ? transparent() : undefined),
  (profile) => {
    const settings = filesSettings(profile);
    return settings ? files(settings) : undefined;
  },
];

/** The profile's capabilities, in the order they start (and the reverse of the order they stop). */
export function capabilitiesFor(profile: Profile, flags: CapabilityFlags = {}): Capability[] {
  return REGISTRY.map((make) => make(profile, flags)).filter((c): c is Capability => c !== undefined);
}
