import { describe, expect, test } from "bun:test";
import { createMemoryGuard } from "../../wire/memory-guard";

const MiB = 1024 * 1024;

/** A guard over a settable RSS; a collection brings RSS down to `afterCollection`. */
function fakeProcess(rss: number, afterCollection: number) {
  const state = { rss, afterCollection, collections: 0 };
  const guard = createMemoryGuard({
    rss: () => state.rss,
    collect: () => {
      state.collections++;
      state.rss = state.afterCollection;
    },
    timer: false,
  });
  return { state, guard };
}

describe("memory guard", () => {
  test("collects as a session moves data past the mark, not only on its timer", () => {
    const { state, guard } = fakeProcess(60 * MiB, 55 * MiB);
    guard.start(64 * MiB);
    guard.moved(4 * MiB);
    expect(state.collections).toBe(0); // below the mark
    state.rss = 90 * MiB;
    guard.moved(1 * MiB);
    expect(state.collections).toBe(0); // checked every 2 MiB moved
    guard.moved(1 * MiB);
    expect(state.collections).toBe(1);
    expect(state.rss).toBe(55 * MiB);
  });

  test("a process whose live memory sits above the mark is collected once per 12 MiB of growth", () => {
    const { state, guard } = fakeProcess(70 * MiB, 70 * MiB);
    guard.start(64 * MiB);
    guard.check();
    expect(state.collections).toBe(1); // the first time above the mark; it leaves 70 MiB
    state.rss = 80 * MiB;
    guard.moved(8 * MiB);
    expect(state.collections).toBe(1);
    state.rss = 83 * MiB;
    guard.moved(2 * MiB);
    expect(state.collections).toBe(2); // back to 70 MiB
    state.rss = 81 * MiB;
    for (let i = 0; i < 10; i++) guard.moved(2 * MiB);
    expect(state.collections).toBe(2);
    state.rss = 66 * MiB; // memory fell: growth counts from here
    guard.check();
    state.rss = 79 * MiB;
    guard.check();
    expect(state.collections).toBe(3);
  });

  test("the lowest mark of the running sessions applies; none running, nothing is collected", () => {
    const { state, guard } = fakeProcess(100 * MiB, 50 * MiB);
    const stopHost = guard.start(128 * MiB);
    guard.moved(2 * MiB);
    expect(state.collections).toBe(0);
    const stopLow = guard.start(64 * MiB);
    guard.moved(2 * MiB);
    expect(state.collections).toBe(1);
    stopLow();
    state.rss = 100 * MiB;
    guard.moved(2 * MiB);
    expect(state.collections).toBe(1); // 128 MiB applies again
    stopHost();
    state.rss = 500 * MiB;
    guard.moved(64 * MiB);
    guard.check();
    expect(state.collections).toBe(1);
  });

  test("a mark of 0 guards nothing", () => {
    const { state, guard } = fakeProcess(500 * MiB, 50 * MiB);
    guard.start(0);
    guard.moved(64 * MiB);
    guard.check();
    expect(state.collections).toBe(0);
  });
});
