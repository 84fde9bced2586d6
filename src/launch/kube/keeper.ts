/**
 * What the agent's container runs as its command: a tiny `bun -e` script that only keeps the container alive
 * while an agent is exec'd into it. It looks in /proc for agent processes of its own container (the bootstrap
 * LOADER's marker in their command line, same mount namespace) and exits 0 once none has run for
 * KFWD_KEEPER_LINGER ms — or none ever came within KFWD_KEEPER_FIRST_WAIT ms. So when kfwd is gone (even after
 * kill -9) the agent hits its idle timeout, the keeper exits, and a Job's TTL removes the pod with nothing of
 * kfwd left alive. In an ephemeral container it shares /proc with the target, hence the namespace check.
 */
import { LOADER } from "../bootstrap";

/** A string only the bootstrap loader's command line contains. */
export const AGENT_MARKER = "__kfwdAgentLeftover";
if (!LOADER.includes(AGENT_MARKER)) throw new Error("kube-keeper: the agent marker is not in the bootstrap LOADER");

export const KEEPER = [
  `const fs=require("fs"),me=String(process.pid),env=process.env;`,
  `const first=+env.KFWD_KEEPER_FIRST_WAIT||60000,linger=+env.KFWD_KEEPER_LINGER||3000;`,
  `const ns=p=>{try{return fs.readlinkSync("/proc/"+p+"/ns/mnt")}catch{return ""}},own=ns("self");`,
  `let last=Date.now(),seen=0;`,
  `const agents=()=>fs.readdirSync("/proc").some(p=>{if(!/^\\d+$/.test(p)||p===me)return false;`,
  // The marker is split so that the keeper's own command line does not contain it.
  `try{return fs.readFileSync("/proc/"+p+"/cmdline","latin1").includes("${AGENT_MARKER.slice(0, 8)}"+"${AGENT_MARKER.slice(8)}")&&ns(p)===own}catch{return false}});`,
  `setInterval(()=>{if(agents()){last=Date.now();seen=1}else if(Date.now()-last>(seen?linger:first)){`,
  `console.error("kfwd-keeper: no agent for "+(seen?linger:first)+" ms; exiting");process.exit(0)}},500);`,
  // As PID 1 a signal without a handler is ignored: pod deletion must not wait for the grace period.
  `for(const s of ["SIGTERM","SIGINT"])process.on(s,()=>process.exit(0));`,
].join("");
