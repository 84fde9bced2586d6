/**
 * The resolver the command's namespace uses (its resolv.conf names 127.0.0.1, and iptables sends any other
 * DNS server's UDP queries here too): A and AAAA questions are answered by the agent, with the pod's resolver
 * and search domains, so `db`, `db.shop` and `db.shop.svc.cluster.local` mean what they mean in the pod.
 */
import { createSocket } from "node:dgram";
import packet, { type Answer, type Packet } from "dns-packet";
import type { CallMap } from "../../../wire/index";

type Resolve = (name: string) => Promise<CallMap["resolve"]["result"]>;

/** Answers stay valid briefly: the pod's own resolver caches, and a changed Service IP is rare. */
const TTL_SECONDS = 5;

export async function startResolver(resolve: Resolve, port = 53): Promise<{ close(): void }> {
  const socket = createSocket("udp4");
  socket.on("message", (message, peer) => {
    void answer(message, resolve).then((reply) => {
      if (reply) socket.send(reply, peer.port, peer.address);
    });
  });
  await new Promise<void>((done, fail) => {
    socket.once("error", fail);
    socket.bind(port, "127.0.0.1", () => done());
  });
  return { close: () => socket.close() };
}

/** The reply to one query, or undefined for something that is not a query at all. */
export async function answer(message: Buffer, resolve: Resolve): Promise<Buffer | undefined> {
  let query: Packet;
  try {
    query = packet.decode(message);
  } catch {
    return undefined;
  }
  const question = query.questions?.[0];
  const reply = (rcode: "NOERROR" | "NXDOMAIN" | "SERVFAIL" | "NOTIMP", answers: Answer[] = []): Buffer =>
    packet.encode({
      type: "response",
      id: query.id ?? 0,
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | rcodeFlag(rcode),
      questions: query.questions ?? [],
      answers,
    });
  if (!question) return reply("NOTIMP");
  if (question.type !== "A" && question.type !== "AAAA") return reply("NOERROR");
  const family = question.type === "A" ? 4 : 6;
  const name = question.name.replace(/\.$/, "");
  try {
    // Both families at once: a name with only IPv4 addresses must answer AAAA with "no data", not NXDOMAIN
    // (which some resolvers take as "the name does not exist" for A too).
    const { addresses } = await resolve(name);
    return reply(
      "NOERROR",
      addresses
        .filter((a) => a.family === family)
        .map((a) => ({ type: question.type as "A", name: question.name, ttl: TTL_SECONDS, data: a.address })),
    );
  } catch (error) {
    return reply((error as { code?: string }).code === "KFWD_RESOLVE_NAME_NOT_FOUND" ? "NXDOMAIN" : "SERVFAIL");
  }
}

function rcodeFlag(rcode: "NOERROR" | "NXDOMAIN" | "SERVFAIL" | "NOTIMP"): number {
  return { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 }[rcode];
}
