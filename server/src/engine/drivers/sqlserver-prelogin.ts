/**
 * Refuses a SQL Server that offers no encryption before tedious sends it the login.
 *
 * tedious 19, even with `encrypt: true`, starts TLS only when the server's PRELOGIN answer says
 * ENCRYPT_ON or ENCRYPT_REQ; for any other answer it sends LOGIN7, which carries the password, in
 * clear text. Anyone between client and server can answer ENCRYPT_NOT_SUP and read it.
 *
 * MS-TDS 2.2.6.5 (PRELOGIN, ENCRYPTION option), the client-side table, row "client sent ENCRYPT_ON":
 * a server answer of ENCRYPT_ON or ENCRYPT_REQ means "encrypt entire connection"; ENCRYPT_OFF and
 * ENCRYPT_NOT_SUP mean "error (connection terminated)". So the only answers let through are 0x01 and
 * 0x03, in every ENCRYPTION option of the answer (tedious reads the last one if there are several).
 *
 * The guard is the socket tedious is handed (its `connector` option): tedious' writes go straight on,
 * and what the server sends is held back until its first message, the PRELOGIN answer, is whole.
 * An acceptable answer is then passed on and the guard is transparent from there (tedious wraps its
 * TLS handshake in PRELOGIN packets on the same stream). Any other answer destroys the guard with an
 * error before tedious has seen it: tedious, which writes LOGIN7 only after reading the answer, never
 * gets to, and a destroyed stream writes nothing more to the network.
 */
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';

// MS-TDS 2.2.3.1 (packet header) and 2.2.6.5 (PRELOGIN).
const HEADER = 8;
const END_OF_MESSAGE = 0x01;
const OPTION_ENCRYPTION = 0x01;
const OPTION_TERMINATOR = 0xff;
const OPTION_SIZE = 5;
const ENCRYPT_ON = 0x01;
const ENCRYPT_REQ = 0x03;
/** A PRELOGIN answer is a few dozen bytes; a server sending more before the answer is whole is refused. */
const MAX_ANSWER = 64 * 1024;

/** Whether the ENCRYPTION options of a PRELOGIN payload all say the connection will be encrypted. */
function offersEncryption(payload: Buffer): boolean {
  const values: number[] = [];
  let at = 0;
  while (payload[at] !== OPTION_TERMINATOR) {
    if (at + OPTION_SIZE > payload.length) return false;
    if (payload[at] === OPTION_ENCRYPTION) {
      const value = payload[payload.readUInt16BE(at + 1)];
      if (payload.readUInt16BE(at + 3) < 1 || value === undefined) return false;
      values.push(value);
    }
    at += OPTION_SIZE;
  }
  return values.length > 0 && values.every((value) => value === ENCRYPT_ON || value === ENCRYPT_REQ);
}

/**
 * The verdict on the server's first message, read from the start of what it sent: `undefined`
 * while the message is not whole, else whether it is a PRELOGIN answer offering encryption.
 */
export function preloginVerdict(received: Buffer): boolean | undefined {
  const payloads: Buffer[] = [];
  let at = 0;
  for (;;) {
    if (received.length < at + HEADER) return received.length > MAX_ANSWER ? false : undefined;
    const length = received.readUInt16BE(at + 2);
    if (length < HEADER) return false;
    if (received.length < at + length) return received.length > MAX_ANSWER ? false : undefined;
    payloads.push(received.subarray(at + HEADER, at + length));
    if ((received.readUInt8(at + 1) & END_OF_MESSAGE) !== 0) return offersEncryption(Buffer.concat(payloads));
    at += length;
  }
}

/** The socket as tedious sees it: tedious pipes, writes, destroys and listens, and sets keep-alive. */
class PreloginGuard extends Duplex {
  /** What the server sent before its PRELOGIN answer was whole; undefined once it was let through. */
  private held: Buffer | undefined = Buffer.alloc(0);
  private serverEnded = false;

  constructor(
    private readonly socket: Socket,
    private readonly refusal: () => Error,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => {
      this.serverEnded = true;
      this.push(null);
    });
    socket.on('error', (error) => this.destroy(error));
    // After the server's FIN, tedious reads the end of the stream before it hears of the close.
    socket.on('close', () => {
      if (this.serverEnded && !this.readableEnded) this.once('end', () => this.destroy());
      else this.destroy();
    });
  }

  private received(chunk: Buffer): void {
    if (this.held === undefined) {
      if (!this.push(chunk)) this.socket.pause();
      return;
    }
    this.held = Buffer.concat([this.held, chunk]);
    const verdict = preloginVerdict(this.held);
    if (verdict === undefined) return;
    if (!verdict) return void this.destroy(this.refusal());
    const answer = this.held;
    this.held = undefined;
    if (!this.push(answer)) this.socket.pause();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.socket.setKeepAlive(enable, initialDelay);
    return this;
  }
}

/** What tedious 19 passes its connector: the address (a redirected one after routing) and its connect timeout. */
interface ConnectOptions {
  host: string;
  port: number;
  localAddress?: string | undefined;
}

function openSocket(options: ConnectOptions, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const { host, port, localAddress } = options;
    const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    const onAbort = (): void => {
      socket.destroy();
      reject(signal.reason as Error);
    };
    const onError = (error: Error): void => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => {
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * tedious' `connector`: a TCP connection wrapped in the guard, which ends it with `refusal()` when the
 * server's PRELOGIN answer offers no encryption. tedious 19 calls a connector as it calls its own
 * (address, DNS lookup, the signal of its connect timeout); `fallback` and `timeoutMs` stand in for
 * an address or a signal it did not pass.
 */
export function encryptionRequiredConnector(
  fallback: ConnectOptions,
  timeoutMs: number,
  refusal: () => Error,
): (options?: ConnectOptions, lookup?: unknown, signal?: AbortSignal) => Promise<Socket> {
  return async (options, _lookup, signal) => {
    const socket = await openSocket(options ?? fallback, signal ?? AbortSignal.timeout(timeoutMs));
    // tedious uses a socket only as a stream and for setKeepAlive, which the guard forwards.
    return new PreloginGuard(socket, refusal) as unknown as Socket;
  };
}
