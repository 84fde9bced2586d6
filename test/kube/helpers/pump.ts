/**
 * Push `total` bytes of a known pattern through a transport whose far end echoes them (`cat`), honouring
 * write()/onDrain backpressure, then half-close and wait for the end. Checks the echo byte for byte.
 */
import type { ExecTransport } from "../../../src/kube/exec";

export interface PumpResult {
  echoedOk: boolean;
  received: number;
  writesRefused: number;
  drains: number;
  closeError: Error | undefined;
  seconds: number;
  /** Round trip throughput, MB/s (10^6 bytes). */
  mbPerSecond: number;
}

const CHUNK = 64 * 1024;

function patternByte(i: number): number {
  return (i * 31 + (i >>> 13)) & 0xff;
}

export async function pumpThrough(t: ExecTransport, total: number): Promise<PumpResult> {
  const started = performance.now();
  let received = 0;
  let mismatch = false;
  let writesRefused = 0;
  let drains = 0;
  t.onData((d) => {
    for (let i = 0; i < d.byteLength; i++) if (d[i] !== patternByte(received + i)) mismatch = true;
    received += d.byteLength;
  });
  const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
  let wake: (() => void) | undefined;
  t.onDrain(() => {
    drains++;
    wake?.();
  });
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < total; sent += CHUNK) {
    const n = Math.min(CHUNK, total - sent);
    for (let i = 0; i < n; i++) chunk[i] = patternByte(sent + i);
    if (!t.write(chunk.subarray(0, n))) {
      writesRefused++;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  // Half-close only once everything was echoed, so `cat` never sees EOF early on a slow path.
  while (received < total) {
    await Bun.sleep(5);
    if (mismatch) break;
  }
  t.closeStdin();
  const closeError = await closed;
  const seconds = (performance.now() - started) / 1000;
  return {
    echoedOk: !mismatch && received === total,
    received,
    writesRefused,
    drains,
    closeError,
    seconds,
    mbPerSecond: total / 1e6 / seconds,
  };
}
