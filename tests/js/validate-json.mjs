// validate-json.mjs SCHEMA_DIR SCHEMA DOCUMENT...: validate JSON documents
// against a JSON Schema (draft-04, as the Open311 GeoReport v2 schemas are
// written) with a standard validator (ajv + ajv-draft-04 + ajv-formats,
// pinned in package.json). Every *.json file of SCHEMA_DIR is loaded under
// its file name, so "$ref": "request.json" resolves; SCHEMA names the one to
// apply. Prints one line per document and exits 1 when any is invalid.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";

const [dir, main, ...docs] = process.argv.slice(2);
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
for (const f of readdirSync(dir).filter((f) => f.endsWith(".json")))
  ajv.addSchema(JSON.parse(readFileSync(join(dir, f), "utf8")), f);
const validate = ajv.getSchema(main);
if (!validate) {
  console.log(`${main}: no such schema in ${dir}`);
  process.exit(2);
}
let failed = 0;
for (const file of docs) {
  if (validate(JSON.parse(readFileSync(file, "utf8")))) {
    console.log(`${file}: valid ${main}`);
  } else {
    failed = 1;
    console.log(`${file}: INVALID ${main} ${JSON.stringify(validate.errors).slice(0, 2000)}`);
  }
}
process.exit(failed);
