#!/usr/bin/env bun
import { main } from "./main";

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Everything kfwd opened is closed by now; if a handle leaked, do not hang the user's shell over it.
setTimeout(() => process.exit(code), 3000).unref();
