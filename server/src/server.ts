import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { FramedMessageWriter } from './framed-writer';
import { SlayerSession } from './session';

/** Entry point of the bundled server; the transport (stdio, IPC) comes from the command line. */
export function startServer(): void {
  const connection = process.argv.includes('--stdio')
    ? // At run time the library takes a stream to read (and exits when it closes, as LSP asks) beside a
      // MessageWriter to write with; its overloads only type two streams or two message objects.
      createConnection(
        ProposedFeatures.all,
        process.stdin,
        new FramedMessageWriter(process.stdout) as unknown as NodeJS.WritableStream,
      )
    : createConnection(ProposedFeatures.all);
  // stdout is the protocol: anything else printed there would corrupt it.
  console.log = (...args: unknown[]) => connection.console.log(args.map(String).join(' '));
  console.info = console.log;
  console.warn = (...args: unknown[]) => connection.console.warn(args.map(String).join(' '));
  console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(' '));
  new SlayerSession(connection).start();
}
