/**
 * Read, change, write: the change carries the resourceVersion it was read at, so a write by someone else
 * meanwhile is a conflict (409), and the change starts over from a fresh read — at most 10 times, then the
 * conflict is the error. Written with a replace (the whole object), or with a merge patch that names the
 * resourceVersion where the Role grants only "patch".
 */
import { isKubeApiError } from "./api-errors";
import type { KubeClient } from "./client";

const ATTEMPTS = 10;

/** `change` returns what to write (the object, or a merge patch), or undefined to leave the object as it is
 *  (then false is returned). */
export async function updateObject<T, W = T>(
  client: KubeClient,
  path: string,
  change: (current: T) => W | undefined,
  write: "replace" | "patch" = "replace",
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const next = change(await client.get<T>(path));
    if (next === undefined) return false;
    try {
      await (write === "patch" ? client.patch(path, next) : client.replace(path, next));
      return true;
    } catch (e) {
      if (!isKubeApiError(e, 409) || attempt >= ATTEMPTS) throw e;
    }
  }
}
