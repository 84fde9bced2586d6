/** Re-exports for test/capabilities/incoming/incoming.lab.test.ts until it imports test/helpers/ itself. */
export { requireLabOrSkip } from "../../helpers/lab";
export { createRunningPod, idlePod } from "../../helpers/lab-objects";
