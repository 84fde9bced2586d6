import { defineCommand } from "citty";
import { listSessions } from "../session/registry";
import { sessionJson, sessionText } from "../session/status-text";

export default defineCommand({
  meta: {
    name: "status",
    description: "List background sessions: profile, target, ports, uptime, traffic, agent RTT, state",
  },
  args: {
    json: { type: "boolean", description: "Print a JSON array (one object per session) instead of text" },
  },
  async run({ args }) {
    // Probing also cleans up sessions whose process is gone; they are listed once more, as "stale".
    const sessions = await listSessions();
    if (args.json) {
      process.stdout.write(`${JSON.stringify(sessions.map(sessionJson), null, 2)}\n`);
    } else if (sessions.length === 0) {
      process.stdout.write("No kfwd sessions are running. Start one with: kfwd up <profile>\n");
    } else {
      process.stdout.write(sessions.map(sessionText).join("\n"));
    }
    return 0;
  },
});
