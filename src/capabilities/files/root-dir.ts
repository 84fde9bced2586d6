/**
 * KFWD_ROOT: by default a fresh 0700 directory in kfwd's private state directory (removed whole at the end);
 * or the profile's `dir`, created 0700 if missing, and if it exists a directory owned by the user.
 */
import { lstatSync, mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { KfwdError } from "../../errors";
import { stateDir } from "../../session/state";

export function makeRoot(dir: string | undefined): { path: string; own: boolean } {
  if (dir === undefined) return { path: mkdtempSync(join(stateDir(), "files-")), own: true };
  let st: ReturnType<typeof lstatSync> | undefined;
  try {
    st = lstatSync(dir);
  } catch {
    st = undefined;
  }
  if (!st) {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
    mkdirSync(dir, { mode: 0o700 });
    return { path: realpathSync(dir), own: false };
  }
  if (!st.isDirectory() || st.uid !== process.getuid?.())
    throw new KfwdError(
      "KFWD_FILES_DIR_UNSAFE",
      `Cannot put the pod's files in "${dir}": it is not a directory owned by you`,
      "Set [files] dir to a directory of yours (or a path that does not exist yet: kfwd creates it, mode 0700).",
    );
  return { path: realpathSync(dir), own: false };
}
