#!/usr/bin/env node
// kfwd's npm launcher: runs the compiled kfwd binary of this platform, which npm installed as one of the
// optional dependencies @kfwd/<os>-<cpu> (each declares its os and cpu, so npm installs only the matching one).
// It stays between the shell and kfwd: signals kfwd would pass to its command are passed on to kfwd, and
// kfwd's exit code or signal becomes this process's own.

const { spawn } = require("node:child_process");
const path = require("node:path");

const pkg = `@kfwd/${process.platform}-${process.arch}`;
let binary;
try {
  binary = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "bin", "kfwd");
} catch {
  process.stderr.write(
    `kfwd: no kfwd binary for ${process.platform}-${process.arch}: the package ${pkg} is not installed.\n` +
      "hint: kfwd ships for linux-x64, linux-arm64, darwin-x64 and darwin-arm64. If yours is one of them, reinstall\n" +
      "      without --omit=optional / --no-optional (npm installs the binary as an optional dependency).\n",
  );
  process.exit(1);
}

const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
// Ctrl-C reaches kfwd through the terminal's process group already: forwarding SIGINT would send it twice.
process.on("SIGINT", () => {});
for (const signal of ["SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => {
  process.stderr.write(`kfwd: cannot start ${binary}: ${error.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
