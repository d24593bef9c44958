#!/usr/bin/env node

// Thin shim: the CLI lives in dist/src/cli/main.js (npm run build).
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('turbine: not built yet; run `npm run build` (or `npm ci`, which builds).\n');
  process.exit(1);
}
require(main).main(process.argv.slice(2));
