// kfwd's preload for Node (NODE_OPTIONS=--require) and Bun (BUN_OPTIONS=--preload): connections and name
// lookups of this process that kfwd routes into the cluster go through kfwd, so fetch, http, net, tls and
// drivers written in JS (pg, ioredis) reach cluster names unchanged.
//
// Each new destination (host:port) is asked once of kfwd's endpoint (its port and token: the file
// $KFWD_REACH_CONFIG names):
// kfwd answers "direct" (loopback, [proxy] direct) or a loopback port that leads there through the agent; the
// socket then connects to that port. dns.lookup of a routed name is answered by the pod's resolver. Without
// that file, or if kfwd cannot be asked (the session ended), everything behaves as without this preload.
"use strict";
const fs = require("node:fs");
const net = require("node:net");
const http = require("node:http");
const dns = require("node:dns");

let config;
try {
  config = JSON.parse(fs.readFileSync(process.env.KFWD_REACH_CONFIG || "", "utf8"));
} catch {
  config = undefined;
}

const LOOPBACK = /^(localhost|.*\.localhost|127\.\d+\.\d+\.\d+|::1|\[::1\]|0\.0\.0\.0|::)$/i;

function ask(query) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: "127.0.0.1",
        port: config.port,
        path: `/v1/${query}`,
        headers: { authorization: `Bearer ${config.token}` },
        agent: false,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (d) => {
          body += d;
        });
        response.on("end", () => {
          try {
            resolve(JSON.parse(body));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on("error", reject);
    request.setTimeout(30000, () => request.destroy(new Error("kfwd did not answer")));
    request.end();
  });
}

/** host:port -> Promise<{ direct: true } | { port: number }>; a failed ask is forgotten, so asked again. */
const routes = new Map();
function routeFor(host, port) {
  const key = `${host.toLowerCase()}:${port}`;
  let answer = routes.get(key);
  if (!answer) {
    answer = ask(`connect?host=${encodeURIComponent(host)}&port=${port}`);
    answer.catch(() => routes.delete(key));
    routes.set(key, answer);
  }
  return answer;
}

/** net.Socket#connect's argument forms -> [options, callback]. net.connect passes them already normalized. */
function normalize(args) {
  if (Array.isArray(args[0]) && args.length === 1) return [args[0][0] || {}, args[0][1] || null];
  const [first, second, third] = args;
  if (first !== null && typeof first === "object") return [first, typeof second === "function" ? second : null];
  if (typeof first === "string" && !/^\d+$/.test(first) && typeof second !== "string" && typeof second !== "number")
    return [{ path: first }, typeof second === "function" ? second : null];
  const options = { port: first };
  if (typeof second === "string") options.host = second;
  const cb = [second, third].find((a) => typeof a === "function");
  return [options, cb || null];
}

function routed(host) {
  return typeof host === "string" && host !== "" && !LOOPBACK.test(host);
}

if (config) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function kfwdConnect(...args) {
    const [options, cb] = normalize(args);
    const host = options.host === undefined ? "localhost" : String(options.host);
    if (options.path || !routed(host) || options.port === undefined) return connect.apply(this, args);
    // Until kfwd answers, the socket counts as connecting: writes are queued as for any pending connect.
    this.connecting = true;
    routeFor(host, Number(options.port)).then(
      (reply) => {
        if (this.destroyed) return;
        this.connecting = false;
        if (typeof reply.port !== "number") connect.call(this, options, cb);
        else connect.call(this, { ...options, host: "127.0.0.1", port: reply.port, family: 4, lookup: undefined }, cb);
      },
      () => {
        if (this.destroyed) return;
        this.connecting = false;
        connect.call(this, options, cb); // kfwd is gone: behave as without it
      },
    );
    return this;
  };

  const lookup = dns.lookup;
  const answers = new Map();
  dns.lookup = function kfwdLookup(...args) {
    const [hostname, options, callback] = args;
    const cb = typeof options === "function" ? options : callback;
    const opts = typeof options === "object" && options !== null ? options : { family: options };
    if (typeof cb !== "function" || !routed(hostname) || net.isIP(hostname)) return lookup.apply(this, args);
    const family = opts.family === "IPv4" ? 4 : opts.family === "IPv6" ? 6 : Number(opts.family) || 0;
    const key = `${hostname.toLowerCase()}/${family}`;
    let answer = answers.get(key);
    if (!answer) {
      answer = ask(`resolve?name=${encodeURIComponent(hostname)}&family=${family}`);
      answer.catch(() => answers.delete(key));
      answers.set(key, answer);
    }
    answer.then(
      (reply) => {
        if (reply.direct) return lookup.call(dns, hostname, opts, cb);
        if (reply.error || !reply.addresses || reply.addresses.length === 0) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: "ENOTFOUND",
            errno: -3008,
            syscall: "getaddrinfo",
            hostname,
          });
          return cb(error);
        }
        if (opts.all) return cb(null, reply.addresses);
        const [first] = reply.addresses;
        cb(null, first.address, first.family);
      },
      () => lookup.call(dns, hostname, opts, cb),
    );
    return {};
  };
  const promises = dns.promises;
  if (promises) {
    promises.lookup = (hostname, options) =>
      new Promise((resolve, reject) => {
        const opts = typeof options === "object" && options !== null ? options : { family: options };
        dns.lookup(hostname, opts, (error, address, family) => {
          if (error) reject(error);
          else resolve(opts.all ? address : { address, family });
        });
      });
  }
}
