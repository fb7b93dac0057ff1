import { startServer } from './server';

// The bundled server's entry; the transport (--stdio, --node-ipc) comes from the command line.
startServer();
