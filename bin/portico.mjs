#!/usr/bin/env node
// `npx portico ...`: runs the TypeScript CLI from source on Node >= 24 (type stripping, node:sqlite).
// This file is plain JavaScript so that an older Node reaches the check below and says what to do
// instead of failing on a .ts import. From the Portico directory, `npx portico` and
// `npm run portico --` put node_modules/.bin first on PATH, so `node` here is the bundled Node 24
// (the `node` devDependency) even when the system Node is older.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `portico: needs Node 24 or newer, and this is Node ${process.version}. ` +
      'From the Portico directory run "npx portico ..." or "npm run portico -- ...": both use the Node 24 that npm install put in node_modules.\n',
  );
  process.exit(1);
}
// node:sqlite is stable in behaviour but still flagged experimental; keep its warning out of CLI output.
process.removeAllListeners('warning');
await import('../src/cli/main.ts');
