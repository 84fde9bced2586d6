import { defineCommand } from "citty";
import { profileJsonSchemaText } from "../profile/json-schema";

export default defineCommand({
  meta: {
    name: "schema",
    description:
      "Print the profile's JSON Schema (for editors: Taplo, Even Better TOML; kfwd init points profiles at it)",
  },
  args: {},
  run() {
    process.stdout.write(profileJsonSchemaText());
    return 0;
  },
});
