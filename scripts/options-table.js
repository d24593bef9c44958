#!/usr/bin/env node
// Prints the README's configuration table from the options schema (after `npm run build`).
'use strict';
process.stdout.write(`${require('../dist/src/config/options-table.js').optionsTable()}\n`);
