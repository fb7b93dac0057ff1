import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { SlayerSession } from './session';

/** Entry point of the bundled server; the transport (stdio, IPC) comes from the command line. */
export function startServer(): void {
  const connection = createConnection(ProposedFeatures.all);
  // stdout is the protocol: anything else printed there would corrupt it.
  console.log = (...args: unknown[]) => connection.console.log(args.map(String).join(' '));
  console.info = console.log;
  console.warn = (...args: unknown[]) => connection.console.warn(args.map(String).join(' '));
  console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(' '));
  new SlayerSession(connection).start();
}
