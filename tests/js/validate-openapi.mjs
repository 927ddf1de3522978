// validate-openapi.mjs FILE...: validate OpenAPI documents with a standard
// validator (@seriousme/openapi-schema-validator, the official OpenAPI 3.1
// JSON schemas); prints one line per file and exits 1 when any is invalid.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";

let failed = 0;
for (const file of process.argv.slice(2)) {
  const validator = new Validator();
  const res = await validator.validate(JSON.parse(readFileSync(file, "utf8")));
  if (res.valid) {
    console.log(`${file}: valid OpenAPI ${validator.version}`);
  } else {
    failed = 1;
    console.log(`${file}: INVALID ${JSON.stringify(res.errors).slice(0, 2000)}`);
  }
}
process.exit(failed);
