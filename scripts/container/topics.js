#!/usr/bin/env node
// Deletes test topics through the project's own admin helper (dist/src/admin/topics.js).
//   node scripts/container/topics.js delete BROKERS TOPIC...
const path = require('node:path');
const { deleteTopics } = require(path.join(__dirname, '..', '..', 'dist', 'src', 'admin', 'topics.js'));
const [command, brokers, ...names] = process.argv.slice(2);
if (command !== 'delete' || !brokers || names.length === 0) {
  process.stderr.write('usage: topics.js delete BROKERS TOPIC...\n');
  process.exit(2);
}
deleteTopics(brokers, names).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`topics.js: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  },
);
