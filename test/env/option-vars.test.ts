import { expect, test } from "bun:test";
import { withHostOptions } from "../../src/env/option-vars";

const ours = {
  NODE_OPTIONS: "--require=/run/user/1000/kfwd/kfwd-preload.cjs",
  JAVA_TOOL_OPTIONS: "-DsocksProxyHost=127.0.0.1 -DsocksProxyPort=1080",
};

test("the host's own NODE_OPTIONS and JAVA_TOOL_OPTIONS are kept after kfwd's", () => {
  const merged = withHostOptions({ NODE_OPTIONS: "--max-old-space-size=4096", JAVA_TOOL_OPTIONS: "-Xmx1g" }, ours);
  expect(merged.NODE_OPTIONS).toBe(`${ours.NODE_OPTIONS} --max-old-space-size=4096`);
  expect(merged.JAVA_TOOL_OPTIONS).toBe(`${ours.JAVA_TOOL_OPTIONS} -Xmx1g`);
});

test("evaluating kfwd env again adds nothing: kfwd's part of the host value is dropped first", () => {
  const first = withHostOptions({ NODE_OPTIONS: "--inspect" }, ours);
  const again = withHostOptions(first, ours);
  expect(again.NODE_OPTIONS).toBe(first.NODE_OPTIONS);
  // A previous session's preload path (another state dir) is kfwd's too.
  const stale = withHostOptions({ NODE_OPTIONS: "--require=/tmp/kfwd-0/kfwd-preload.cjs --inspect" }, ours);
  expect(stale.NODE_OPTIONS).toBe(`${ours.NODE_OPTIONS} --inspect`);
  const jvm = withHostOptions({ JAVA_TOOL_OPTIONS: "-DsocksProxyPort=9 -Xmx1g" }, ours);
  expect(jvm.JAVA_TOOL_OPTIONS).toBe(`${ours.JAVA_TOOL_OPTIONS} -Xmx1g`);
});

test("variables kfwd did not set are left to the host", () => {
  expect(withHostOptions({ NODE_OPTIONS: "--inspect" }, {})).toEqual({});
});
