/** Re-exports for test/capabilities/incoming/incoming.lab.test.ts until it imports test/helpers/ itself. */
export { labProfile } from "../../helpers/lab";
export { createTestApp, type TestApp } from "../../helpers/testapp";
