/** Proxy credentials, checked in constant time so a wrong guess reveals nothing about the right one. */
import { createHash, timingSafeEqual } from "node:crypto";

export interface ProxyAuth {
  username: string;
  password: string;
}

function digest(data: string | Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

/**
 * Compares digests rather than the raw values: timingSafeEqual needs equal lengths, and comparing lengths
 * first would leak them. Both fields are always compared (no early exit on a wrong username).
 */
export function credentialsMatch(
  expected: ProxyAuth,
  username: string | Uint8Array,
  password: string | Uint8Array,
): boolean {
  const userOk = timingSafeEqual(digest(expected.username), digest(username));
  const passOk = timingSafeEqual(digest(expected.password), digest(password));
  return userOk && passOk;
}
