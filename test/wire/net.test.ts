import { expect, test } from "bun:test";
import { ResetReason } from "../../wire/constants";
import { dialError } from "../../wire/errors";
import { DIAL_ERROR, dialErrorFromErrno, dialErrorFromReset, formatHostPort, resetReasonFor } from "../../wire/net";

test("host:port puts IPv6 literals in brackets", () => {
  expect(formatHostPort({ host: "db.svc", port: 5432 })).toBe("db.svc:5432");
  expect(formatHostPort({ host: "10.0.0.1", port: 80 })).toBe("10.0.0.1:80");
  expect(formatHostPort({ host: "fd00::1", port: 80 })).toBe("[fd00::1]:80");
});

test("a socket error means the same dialled from the host or from the agent", () => {
  const errnos = ["ECONNREFUSED", "EHOSTUNREACH", "ENETDOWN", "EADDRNOTAVAIL", "ENOTFOUND", "EAI_AGAIN", "EAI_FAIL"];
  for (const errno of [...errnos, "ETIMEDOUT", "EWHATEVER"]) {
    const fromAgent = dialError({ host: "x", port: 1 }, resetReasonFor({ code: errno }), "").code;
    expect(`${errno} ${fromAgent}`).toBe(`${errno} ${dialErrorFromErrno(errno)}`);
  }
  expect(dialErrorFromErrno("EAI_FAIL")).toBe(DIAL_ERROR.nameNotFound);
  expect(dialErrorFromErrno("EACCES")).toBe(DIAL_ERROR.denied);
  expect(resetReasonFor({ code: "EACCES" })).toBe(ResetReason.FAILED); // the protocol has no "denied"
  expect(resetReasonFor({ code: "ECONNRESET" })).toBe(ResetReason.CONNECTION_RESET);
  expect(resetReasonFor(new Error("no code"))).toBe(ResetReason.FAILED);
  expect(dialErrorFromReset(ResetReason.CONNECTION_RESET)).toBe(DIAL_ERROR.failed);
});

test("the agent's dial errors name an IPv6 destination in brackets, with the hint for its code", () => {
  const e = dialError({ host: "fd00::1", port: 80 }, ResetReason.REFUSED, "");
  expect(e.code).toBe(DIAL_ERROR.refused);
  expect(e.message).toBe('Cannot connect to "[fd00::1]:80" from the agent: connection refused');
  expect(e.hint).toContain("Nothing listens");
});
