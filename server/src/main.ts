import { startServer } from './server';

export { runCli } from './cli';

// One bundle, two entries, so the package carries the engine once: VS Code starts dist/server.js as the
// language server (the transport, --stdio or --node-ipc, comes from the command line), and dist/slayer-ls.js
// requires it for the CLI (scripts/build.mjs).
if (require.main === module) startServer();
