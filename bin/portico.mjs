#!/usr/bin/env node
// `npx portico ...`: runs the TypeScript CLI from source (Node >= 24 strips types).
// node:sqlite is stable in behaviour but still flagged experimental; keep its warning out of CLI output.
process.removeAllListeners('warning');
await import('../src/cli/main.ts');
