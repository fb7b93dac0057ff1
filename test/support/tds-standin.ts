/**
 * A local stand-in for SQL Server, speaking just enough TDS 7.4 (MS-TDS) for
 * tedious and the SQL Server driver's tests: a TCP server on 127.0.0.1 that
 *
 * - answers PRELOGIN with the ENCRYPTION value a test sets (encryption not
 *   supported unless told otherwise: most tests set `Encrypt=no`; others
 *   check that a client asking for encryption sends no LOGIN7 to a server
 *   that offers none), recording what the client asked for;
 * - after an ENCRYPT_ON or ENCRYPT_REQ answer, speaks TLS 1.2 as TDS 7.x
 *   does: the handshake wrapped in PRELOGIN packets, then TLS records on the
 *   bare stream, with a self-signed certificate (so a client must trust it
 *   with TrustServerCertificate=yes, or fails on it);
 * - counts every LOGIN7 packet (type 0x10) it receives in clear text, packet
 *   by packet, so a test can prove no password went over the wire unencrypted;
 * - reads LOGIN7 (user, de-scrambled password, database, read-only intent),
 *   checks the user and password, and answers LOGINACK + ENVCHANGE (database,
 *   packet size) + DONE, or ERROR 18456 + DONE;
 * - answers each SQL batch from a fixed table of canned queries:
 *   COLMETADATA + ROW/NBCROW per row + DONE with the row count, ERROR tokens,
 *   a long stream of rows sent under TCP backpressure, or nothing at all
 *   until the client cancels;
 * - answers ATTENTION by ending the current response and sending a separate
 *   DONE with the attention flag, counting each one.
 *
 * What it does not prove: real T-SQL (a query is looked up by its exact text,
 * nothing is parsed or run; whether our SQL is valid SQL Server SQL is the
 * dialect tests' job), TLS beyond one self-signed certificate (certificate
 * chains and host names are untested), TDS 8's strict encryption, real
 * login and authentication (SQL Server's password hashing, lockouts,
 * password expiry), Azure AD / Entra ID and Windows sign-in, collations
 * beyond one Latin-1 code page, MARS, and how a real server times or words
 * its answers to a cancel.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket } from 'node:tls';

// ---------------------------------------------------------------------------
// What a test gives the stand-in
// ---------------------------------------------------------------------------

/** The column types the stand-in can send, as SQL Server describes them in COLMETADATA. */
export type TdsType =
  | { kind: 'int'; bytes: 1 | 2 | 4 | 8 }
  | { kind: 'bit' }
  | { kind: 'float'; bytes: 4 | 8 }
  | { kind: 'money'; bytes: 4 | 8 }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'nvarchar' }
  | { kind: 'varchar' }
  | { kind: 'varbinary' }
  | { kind: 'uniqueidentifier' }
  | { kind: 'date' }
  | { kind: 'time'; scale: number }
  | { kind: 'datetime2'; scale: number }
  | { kind: 'datetimeoffset'; scale: number }
  | { kind: 'datetime' }
  | { kind: 'smalldatetime' };

/**
 * A value as a test writes it: int as number or bigint; bit as boolean; float and money as number;
 * decimal as its text ('12.50'); nvarchar/varchar/uniqueidentifier as string; varbinary as Buffer;
 * date 'YYYY-MM-DD'; time 'HH:MM:SS[.fffffff]'; datetime2, datetime, smalldatetime
 * 'YYYY-MM-DDTHH:MM[:SS[.fffffff]]'; datetimeoffset the same plus '+HH:MM' or '-HH:MM'. null is NULL.
 */
export type TdsValue = number | bigint | boolean | string | Buffer | null;

export interface TdsColumn {
  name: string;
  type: TdsType;
}

export interface TdsError {
  number: number;
  message: string;
}

export type Canned =
  /** A result set; `nbc` sends the rows as NBCROW (a null bitmap, nulls left out). */
  | { columns: TdsColumn[]; rows: TdsValue[][]; nbc?: boolean }
  /** `count` rows made on demand, sent under backpressure until the end or a cancel. */
  | { columns: TdsColumn[]; stream: { count: number; row: (index: number) => TdsValue[] } }
  /** ERROR tokens, then DONE with its error flag. */
  | { errors: TdsError[] }
  /** Nothing, until the client sends an ATTENTION. */
  | { hang: true };

export interface StandinOptions {
  user: string;
  password: string;
  queries: Record<string, Canned>;
  /** The database the login lands in when LOGIN7 names none. */
  defaultDatabase?: string;
  /** The ENCRYPTION byte of the PRELOGIN answer (MS-TDS 2.2.6.5); ENCRYPT_NOT_SUP (0x02) unless set. */
  preloginEncryption?: number;
}

export interface SeenLogin {
  user: string;
  password: string;
  database: string;
  appName: string;
  readOnlyIntent: boolean;
}

// ---------------------------------------------------------------------------
// TDS constants (MS-TDS 2.2.3.1.1, 2.2.4.2, 2.2.5.4, 2.2.7)
// ---------------------------------------------------------------------------

const PACKET = { SQL_BATCH: 0x01, RESPONSE: 0x04, ATTENTION: 0x06, LOGIN7: 0x10, PRELOGIN: 0x12 } as const;
const END_OF_MESSAGE = 0x01;
const HEADER = 8;
const PACKET_SIZE = 4096;

const TOKEN = {
  COLMETADATA: 0x81,
  ERROR: 0xaa,
  LOGINACK: 0xad,
  ROW: 0xd1,
  NBCROW: 0xd2,
  ENVCHANGE: 0xe3,
  DONE: 0xfd,
} as const;

const DONE = { FINAL: 0x00, ERROR: 0x02, COUNT: 0x10, ATTENTION: 0x20 } as const;
const CURCMD_SELECT = 0xc1;
const TDS_7_4 = 0x74000004;
const ENCRYPT_NOT_SUP = 0x02;
/** TypeFlags' fReadOnlyIntent (LOGIN7). */
const READ_ONLY_INTENT = 0x20;
/** Latin1_General_CI_AS: LCID 0x0409, ignore case/kana/width, sort id 52 (code page 1252). */
const LATIN1_COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);
const MAX_VARLEN = 8000;
const NULL_USHORT = 0xffff;

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

function noop(): void {}

function u8(value: number): Buffer {
  return Buffer.from([value & 0xff]);
}

/** A fixed-size field, written by `write`. */
function fixed(size: number, write: (buffer: Buffer) => unknown): Buffer {
  const buffer = Buffer.alloc(size);
  write(buffer);
  return buffer;
}

const u16 = (value: number): Buffer => fixed(2, (buffer) => buffer.writeUInt16LE(value));
const i32 = (value: number): Buffer => fixed(4, (buffer) => buffer.writeInt32LE(value));
const u32 = (value: number): Buffer => fixed(4, (buffer) => buffer.writeUInt32LE(value));
const u64 = (value: bigint): Buffer => fixed(8, (buffer) => buffer.writeBigUInt64LE(value));

/** Little-endian, `bytes` long, of a non-negative integer. */
function unsignedLE(value: bigint, bytes: number): Buffer {
  const buffer = Buffer.alloc(bytes);
  let rest = value;
  for (let index = 0; index < bytes; index++) {
    buffer[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return buffer;
}

function ucs2(text: string): Buffer {
  return Buffer.from(text, 'ucs2');
}

/** B_VARCHAR: a one-byte character count, then UCS-2. */
function bVarchar(text: string): Buffer {
  return Buffer.concat([u8(text.length), ucs2(text)]);
}

/** US_VARCHAR: a two-byte character count, then UCS-2. */
function usVarchar(text: string): Buffer {
  return Buffer.concat([u16(text.length), ucs2(text)]);
}

/** A token whose length (USHORT) follows its type byte. */
function lengthToken(type: number, body: Buffer): Buffer {
  return Buffer.concat([u8(type), u16(body.length), body]);
}

function doneToken(status: number, rowCount = 0n): Buffer {
  return Buffer.concat([u8(TOKEN.DONE), u16(status), u16(CURCMD_SELECT), u64(rowCount)]);
}

function errorToken(error: TdsError): Buffer {
  const body = Buffer.concat([
    i32(error.number),
    u8(1), // state
    u8(16), // class: a user error
    usVarchar(error.message),
    bVarchar('standin'),
    bVarchar(''),
    i32(1), // line number
  ]);
  return lengthToken(TOKEN.ERROR, body);
}

function envChange(type: number, newValue: string, oldValue: string): Buffer {
  return lengthToken(TOKEN.ENVCHANGE, Buffer.concat([u8(type), bVarchar(newValue), bVarchar(oldValue)]));
}

function loginAck(): Buffer {
  const version = fixed(4, (buffer) => buffer.writeUInt32BE(TDS_7_4));
  // Interface 1 (T-SQL), TDS 7.4, the program name, version 16.0.1000.
  const body = Buffer.concat([u8(1), version, bVarchar('Microsoft SQL Server'), Buffer.from([16, 0, 0x03, 0xe8])]);
  return lengthToken(TOKEN.LOGINACK, body);
}

/** The TYPE_INFO of a column (MS-TDS 2.2.5.6). */
function typeInfo(type: TdsType): Buffer {
  switch (type.kind) {
    case 'int':
      return Buffer.from([0x26, type.bytes]);
    case 'bit':
      return Buffer.from([0x68, 1]);
    case 'float':
      return Buffer.from([0x6d, type.bytes]);
    case 'money':
      return Buffer.from([0x6e, type.bytes]);
    case 'decimal':
      return Buffer.from([0x6a, decimalBytes(type.precision), type.precision, type.scale]);
    case 'nvarchar':
      return Buffer.concat([u8(0xe7), u16(MAX_VARLEN), LATIN1_COLLATION]);
    case 'varchar':
      return Buffer.concat([u8(0xa7), u16(MAX_VARLEN), LATIN1_COLLATION]);
    case 'varbinary':
      return Buffer.concat([u8(0xa5), u16(MAX_VARLEN)]);
    case 'uniqueidentifier':
      return Buffer.from([0x24, 16]);
    case 'date':
      return Buffer.from([0x28]);
    case 'time':
      return Buffer.from([0x29, type.scale]);
    case 'datetime2':
      return Buffer.from([0x2a, type.scale]);
    case 'datetimeoffset':
      return Buffer.from([0x2b, type.scale]);
    case 'datetime':
      return Buffer.from([0x6f, 8]);
    case 'smalldatetime':
      return Buffer.from([0x6f, 4]);
  }
}

function colMetadata(columns: readonly TdsColumn[]): Buffer {
  const parts = [u8(TOKEN.COLMETADATA), u16(columns.length)];
  for (const column of columns) {
    // UserType 0, Flags 0x0001 (nullable).
    parts.push(u32(0), u16(0x0001), typeInfo(column.type), bVarchar(column.name));
  }
  return Buffer.concat(parts);
}

/** The bytes of a DECIMAL/NUMERIC value of this precision, its sign byte included. */
function decimalBytes(precision: number): number {
  if (precision <= 9) return 5;
  if (precision <= 19) return 9;
  if (precision <= 28) return 13;
  return 17;
}

function decimalValue(text: string, precision: number, scale: number): Buffer {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  assert.ok(match, `not a decimal: ${text}`);
  const [, minus, whole = '', digits = ''] = match;
  const scaled = BigInt(whole + digits.padEnd(scale, '0').slice(0, scale));
  const size = decimalBytes(precision);
  return Buffer.concat([u8(size), u8(minus === '-' ? 0 : 1), unsignedLE(scaled, size - 1)]);
}

/** Milliseconds since 1970 of a UTC calendar date, years below 100 included. */
function utcDay(year: number, month: number, day: number): number {
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getTime();
}

const DAY_MS = 86_400_000;

interface Moment {
  /** Days since 0001-01-01 (for date, datetime2, datetimeoffset). */
  days: number;
  /** 100 ns steps since midnight. */
  ticks: bigint;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?$/;

function momentOf(text: string): Moment {
  const match = DATE_TIME.exec(text);
  assert.ok(match, `not a date-time: ${text}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', f = ''] = match;
  const days = (utcDay(Number(y), Number(mo), Number(d)) - utcDay(1, 1, 1)) / DAY_MS;
  const seconds = Number(h) * 3600 + Number(mi) * 60 + Number(s);
  return { days, ticks: BigInt(seconds) * 10_000_000n + BigInt(f.padEnd(7, '0')) };
}

/** TIME(n)'s bytes: the time in 10^-n s steps, in 3, 4 or 5 bytes. */
function timeBytes(ticks: bigint, scale: number): Buffer {
  const size = scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
  return unsignedLE(ticks / 10n ** BigInt(7 - scale), size);
}

function withLength(body: Buffer): Buffer {
  return Buffer.concat([u8(body.length), body]);
}

/** A datetimeoffset's text as its UTC moment and its offset in minutes. */
function offsetMoment(text: string): { moment: Moment; minutes: number } {
  const match = /^(.*)([+-])(\d{2}):(\d{2})$/.exec(text);
  assert.ok(match, `not a datetimeoffset: ${text}`);
  const [, local = '', sign, hh, mm] = match;
  const minutes = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm));
  const moment = momentOf(local);
  let ticks = moment.ticks - BigInt(minutes) * 600_000_000n;
  let days = moment.days;
  const dayTicks = 864_000_000_000n;
  while (ticks < 0n) {
    ticks += dayTicks;
    days -= 1;
  }
  while (ticks >= dayTicks) {
    ticks -= dayTicks;
    days += 1;
  }
  return { moment: { days, ticks }, minutes };
}

/** SQL Server's GUID bytes: the first three groups little-endian, the rest as written. */
function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  assert.match(hex, /^[0-9a-f]{32}$/i);
  const bytes = Buffer.from(hex, 'hex');
  return Buffer.concat([
    Buffer.from(bytes.subarray(0, 4)).reverse(),
    Buffer.from(bytes.subarray(4, 6)).reverse(),
    Buffer.from(bytes.subarray(6, 8)).reverse(),
    bytes.subarray(8),
  ]);
}

/** A datetime's days since 1900-01-01 and its 1/300 s steps since midnight. */
function legacyDateTime(text: string): { days: number; ticks: bigint } {
  const { days, ticks } = momentOf(text);
  const since1900 = days - (utcDay(1900, 1, 1) - utcDay(1, 1, 1)) / DAY_MS;
  return { days: since1900, ticks: (ticks * 300n + 5_000_000n) / 10_000_000n };
}

function isNullable(type: TdsType): boolean {
  return !['nvarchar', 'varchar', 'varbinary'].includes(type.kind);
}

/** One value in ROW form (MS-TDS 2.2.7.20): a length, then the bytes; the length says NULL. */
function encodeValue(type: TdsType, value: TdsValue): Buffer {
  if (value === null) return isNullable(type) ? u8(0) : u16(NULL_USHORT);
  switch (type.kind) {
    case 'int': {
      const big = BigInt(value as number | bigint);
      // TINYINT is unsigned; the wider ones are signed.
      const write = (buffer: Buffer): unknown =>
        type.bytes === 8
          ? buffer.writeBigInt64LE(big)
          : type.bytes === 1
            ? buffer.writeUInt8(Number(big))
            : buffer.writeIntLE(Number(big), 0, type.bytes);
      return withLength(fixed(type.bytes, write));
    }
    case 'bit':
      return withLength(u8(value === true ? 1 : 0));
    case 'float': {
      const float = value as number;
      const write = (buffer: Buffer): unknown =>
        type.bytes === 4 ? buffer.writeFloatLE(float) : buffer.writeDoubleLE(float);
      return withLength(fixed(type.bytes, write));
    }
    case 'money': {
      const units = BigInt(Math.round((value as number) * 10_000));
      if (type.bytes === 4) return withLength(i32(Number(units)));
      const raw = BigInt.asUintN(64, units);
      return withLength(Buffer.concat([u32(Number(raw >> 32n)), u32(Number(raw & 0xffffffffn))]));
    }
    case 'decimal':
      return decimalValue(String(value), type.precision, type.scale);
    case 'nvarchar': {
      const bytes = ucs2(String(value));
      return Buffer.concat([u16(bytes.length), bytes]);
    }
    case 'varchar': {
      const bytes = Buffer.from(String(value), 'latin1');
      return Buffer.concat([u16(bytes.length), bytes]);
    }
    case 'varbinary': {
      const bytes = value as Buffer;
      return Buffer.concat([u16(bytes.length), bytes]);
    }
    case 'uniqueidentifier':
      return withLength(guidBytes(String(value)));
    case 'date':
      return withLength(unsignedLE(BigInt(momentOf(String(value)).days), 3));
    case 'time': {
      const { ticks } = momentOf(`2000-01-01T${String(value)}`);
      return withLength(timeBytes(ticks, type.scale));
    }
    case 'datetime2': {
      const { days, ticks } = momentOf(String(value));
      return withLength(Buffer.concat([timeBytes(ticks, type.scale), unsignedLE(BigInt(days), 3)]));
    }
    case 'datetimeoffset': {
      const { moment, minutes } = offsetMoment(String(value));
      const offset = fixed(2, (buffer) => buffer.writeInt16LE(minutes));
      const date = unsignedLE(BigInt(moment.days), 3);
      return withLength(Buffer.concat([timeBytes(moment.ticks, type.scale), date, offset]));
    }
    case 'datetime': {
      const { days, ticks } = legacyDateTime(String(value));
      return withLength(Buffer.concat([i32(days), u32(Number(ticks))]));
    }
    case 'smalldatetime': {
      const { days, ticks } = legacyDateTime(String(value));
      return withLength(Buffer.concat([u16(days), u16(Number(ticks / (300n * 60n)))]));
    }
  }
}

function rowToken(columns: readonly TdsColumn[], values: readonly TdsValue[]): Buffer {
  return Buffer.concat([
    u8(TOKEN.ROW),
    ...columns.map((column, index) => encodeValue(column.type, values[index] ?? null)),
  ]);
}

/** NBCROW: a bitmap of the NULL columns, then only the others' values. */
function nbcRowToken(columns: readonly TdsColumn[], values: readonly TdsValue[]): Buffer {
  const bitmap = Buffer.alloc(Math.ceil(columns.length / 8));
  const present: Buffer[] = [];
  columns.forEach((column, index) => {
    const value = values[index] ?? null;
    if (value === null) bitmap[index >> 3] = (bitmap[index >> 3] ?? 0) | (1 << (index & 7));
    else present.push(encodeValue(column.type, value));
  });
  return Buffer.concat([u8(TOKEN.NBCROW), bitmap, ...present]);
}

// ---------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------

function packet(type: number, status: number, payload: Buffer, id: number): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt8(type, 0);
  header.writeUInt8(status, 1);
  header.writeUInt16BE(HEADER + payload.length, 2);
  header.writeUInt16BE(0x0033, 4); // SPID
  header.writeUInt8(id & 0xff, 6);
  return Buffer.concat([header, payload]);
}

/** Writes one server message as packets of PACKET_SIZE, the last one marked end-of-message. */
class MessageWriter {
  private pending: Buffer[] = [];
  private size = 0;
  private id = 1;

  constructor(private readonly socket: Socket) {}

  /** Adds a token; full packets go out at once. Resolves when the socket can take more. */
  async write(token: Buffer): Promise<void> {
    this.pending.push(token);
    this.size += token.length;
    while (this.size >= PACKET_SIZE - HEADER) {
      const all = Buffer.concat(this.pending);
      const ok = this.socket.write(packet(PACKET.RESPONSE, 0, all.subarray(0, PACKET_SIZE - HEADER), this.id++));
      const rest = all.subarray(PACKET_SIZE - HEADER);
      this.pending = [rest];
      this.size = rest.length;
      if (!ok) await new Promise<void>((resolve) => this.socket.once('drain', resolve));
    }
  }

  end(): void {
    this.socket.write(packet(PACKET.RESPONSE, END_OF_MESSAGE, Buffer.concat(this.pending), this.id++));
    this.pending = [];
    this.size = 0;
  }
}

/** A short message, in one packet. */
function sendMessage(socket: Socket, ...tokens: Buffer[]): void {
  const payload = Buffer.concat(tokens);
  assert.ok(payload.length <= PACKET_SIZE - HEADER);
  socket.write(packet(PACKET.RESPONSE, END_OF_MESSAGE, payload, 1));
}

// ---------------------------------------------------------------------------
// Reading the client's messages
// ---------------------------------------------------------------------------

/** Splits the byte stream into messages: packets joined until end-of-message. ATTENTION is passed on at once. */
class MessageReader {
  private buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];

  constructor(
    private readonly onMessage: (type: number, payload: Buffer) => void,
    /** Each packet's type, as soon as the whole packet has arrived. */
    private readonly onPacket: (type: number) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= HEADER) {
      const length = this.buffer.readUInt16BE(2);
      if (this.buffer.length < length) return;
      const type = this.buffer.readUInt8(0);
      const status = this.buffer.readUInt8(1);
      this.onPacket(type);
      this.parts.push(this.buffer.subarray(HEADER, length));
      this.buffer = this.buffer.subarray(length);
      if (status & END_OF_MESSAGE) {
        const payload = Buffer.concat(this.parts);
        this.parts = [];
        this.onMessage(type, payload);
      }
    }
  }

  /** Between messages: the next byte starts a packet. */
  get idle(): boolean {
    return this.buffer.length === 0 && this.parts.length === 0;
  }
}

/** LOGIN7's password: each byte XOR 0xA5, then its nibbles swapped back. */
function unscramble(bytes: Buffer): string {
  const plain = Buffer.from(bytes.map((byte) => ((byte ^ 0xa5) >> 4) | (((byte ^ 0xa5) & 0x0f) << 4)));
  return plain.toString('ucs2');
}

function parseLogin7(payload: Buffer): SeenLogin {
  const text = (offset: number): Buffer => {
    const start = payload.readUInt16LE(offset);
    const chars = payload.readUInt16LE(offset + 2);
    return payload.subarray(start, start + chars * 2);
  };
  // Offsets of MS-TDS 2.2.6.4: TypeFlags at 26, then (offset, length) pairs from 36.
  return {
    user: text(40).toString('ucs2'),
    password: unscramble(text(44)),
    appName: text(48).toString('ucs2'),
    database: text(68).toString('ucs2'),
    readOnlyIntent: (payload.readUInt8(26) & READ_ONLY_INTENT) !== 0,
  };
}

/** SQL_BATCH: ALL_HEADERS (its total length first), then the text in UCS-2. */
function batchText(payload: Buffer): string {
  return payload.subarray(payload.readUInt32LE(0)).toString('ucs2');
}

function preloginReply(encryption: number): Buffer {
  // VERSION (6 bytes), ENCRYPTION (1), INSTOPT (1), THREADID (0), MARS (1), then the terminator.
  const options = [
    { token: 0x00, data: Buffer.from([16, 0, 0x03, 0xe8, 0, 0]) },
    { token: 0x01, data: u8(encryption) },
    { token: 0x02, data: u8(0) },
    { token: 0x03, data: Buffer.alloc(0) },
    { token: 0x04, data: u8(0) },
  ];
  let dataOffset = options.length * 5 + 1;
  const headers: Buffer[] = [];
  for (const option of options) {
    const header = Buffer.alloc(5);
    header.writeUInt8(option.token, 0);
    header.writeUInt16BE(dataOffset, 1);
    header.writeUInt16BE(option.data.length, 3);
    headers.push(header);
    dataOffset += option.data.length;
  }
  return Buffer.concat([...headers, u8(0xff), ...options.map((option) => option.data)]);
}

/** The ENCRYPTION byte of the client's PRELOGIN. */
function preloginEncryption(payload: Buffer): number | undefined {
  for (let offset = 0; payload[offset] !== 0xff && offset + 5 <= payload.length; offset += 5) {
    if (payload[offset] === 0x01) return payload.readUInt8(payload.readUInt16BE(offset + 1));
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// TLS inside TDS 7.x (MS-TDS 2.2.6.5, 3.2.5.1)
// ---------------------------------------------------------------------------

/** A self-signed P-256 certificate for CN=localhost, for these tests only; its key protects nothing. */
const TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPYLpn0353WrhD7Qf
SZ9R5NpqGk+vx7xv/rQdLJoP3behRANCAARpwUY8nigXzAJJ84MsFmhNWVBLDcGT
jG6M2CzdJNwowC8zq8zUPQtrWi3LB+LkXKwyL49HfnM8f6d3v1P8oVaN
-----END PRIVATE KEY-----`;
const TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUBADFVKuUe1a4iMJoAqGfd+F07HowCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMTExMDY0NFoYDzIxMjYxMTA3
MTEwNjQ0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARpwUY8nigXzAJJ84MsFmhNWVBLDcGTjG6M2CzdJNwowC8zq8zUPQtr
Wi3LB+LkXKwyL49HfnM8f6d3v1P8oVaNo28wbTAdBgNVHQ4EFgQUZVPoUNVIHIFE
v2Q/0r0tORsgg7EwHwYDVR0jBBgwFoAUZVPoUNVIHIFEv2Q/0r0tORsgg7EwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIgEBLcWJl+t32Nj2pRJdRVxlz7IE6Io/d9uViTcXbRTLoCIQCN
6LlcqoUKhJZWHC7orDHfxpuJn4Bzvkmk9s9wHBlf1w==
-----END CERTIFICATE-----`;

/**
 * The TLS layer's transport over the TCP socket. During the handshake the client's TLS bytes come in
 * PRELOGIN packets, and each burst of the server's handshake output (its answer to one of them) goes
 * out as one PRELOGIN message; once the client sends TLS records on the bare stream, both ways are bare.
 */
class TdsTlsTransport extends Duplex {
  private bare = false;
  private outgoing: Buffer[] = [];

  constructor(private readonly socket: Socket) {
    super();
  }

  /** TLS bytes from the client: a PRELOGIN packet's payload, or (`bare`) straight from the socket. */
  receive(bytes: Buffer, bare: boolean): void {
    if (bare) this.bare = true;
    this.push(bytes);
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.bare) return void this.socket.write(chunk, callback);
    if (this.outgoing.length === 0) setImmediate(() => this.flush());
    this.outgoing.push(chunk);
    callback();
  }

  private flush(): void {
    const payload = Buffer.concat(this.outgoing);
    this.outgoing = [];
    if (!this.socket.destroyed) this.socket.write(packet(PACKET.PRELOGIN, END_OF_MESSAGE, payload, 1));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy();
    callback(error);
  }
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/** One client's state: the response being sent, and whether an ATTENTION arrived for it. */
interface Session {
  /** Where the stand-in's messages go: the TCP socket, or the TLS socket once the handshake is done. */
  socket: Socket;
  /** PRELOGIN was answered: a PRELOGIN packet after it carries a TLS handshake. */
  preloginAnswered: boolean;
  /** The TLS transport, once the client started a handshake. */
  tls?: TdsTlsTransport;
  /** The client sends TLS records on the bare stream: the handshake is over. */
  bare: boolean;
  responding: boolean;
  attention: boolean;
  /** Resolves when an ATTENTION arrives (for a query that hangs). */
  onAttention?: () => void;
}

export class TdsStandin {
  /** The ENCRYPTION byte of each PRELOGIN (0 off, 1 on, 2 not supported). */
  readonly preloginEncryption: (number | undefined)[] = [];
  /** LOGIN7 packets (type 0x10) received in clear text, whole or part of a message: each carries a password. */
  login7Packets = 0;
  /** TLS handshakes completed after an ENCRYPT_ON or ENCRYPT_REQ answer. */
  tlsSessions = 0;
  readonly logins: SeenLogin[] = [];
  /** Every SQL batch's text, tedious' session settings after each login included. */
  readonly batches: string[] = [];
  /** ATTENTION packets received. */
  attentions = 0;
  /** Rows of streamed results actually written to a socket. */
  streamedRows = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly options: StandinOptions,
  ) {}

  static async start(options: StandinOptions): Promise<TdsStandin> {
    const server = createServer();
    const standin = new TdsStandin(server, options);
    server.on('connection', (socket) => standin.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return standin;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The batches a test sent, without tedious' own session settings. */
  get queries(): string[] {
    return this.batches.filter((text) => !text.startsWith('set '));
  }

  /** Waits (a few seconds at most) until `condition` holds. */
  async until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      assert.ok(Date.now() < deadline, 'the stand-in waited in vain');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const session: Session = { socket, preloginAnswered: false, bare: false, responding: false, attention: false };
    const reader = new MessageReader(
      (type, payload) => this.receive(session, type, payload),
      (type) => {
        if (type === PACKET.LOGIN7) this.login7Packets += 1;
      },
    );
    socket.on('data', (chunk: Buffer) => {
      // After the handshake the client sends TLS records (0x14-0x17), where a packet would start with 0x12.
      if (session.tls && (session.bare || (reader.idle && chunk[0] !== PACKET.PRELOGIN))) {
        session.bare = true;
        session.tls.receive(chunk, true);
      } else {
        reader.push(chunk);
      }
    });
  }

  /** The server side of a TLS handshake the client starts in a PRELOGIN packet; TDS goes on inside it. */
  private startTls(session: Session): TdsTlsTransport {
    const transport = new TdsTlsTransport(session.socket);
    const secure = new TLSSocket(transport, {
      isServer: true,
      secureContext: createSecureContext({ key: TLS_KEY, cert: TLS_CERT }),
    });
    const reader = new MessageReader((type, payload) => this.receive(session, type, payload), noop);
    secure.on('data', (chunk: Buffer) => reader.push(chunk));
    secure.on('error', () => transport.destroy());
    secure.once('secure', () => {
      this.tlsSessions += 1;
      session.socket = secure;
    });
    session.socket.once('close', () => secure.destroy());
    session.tls = transport;
    return transport;
  }

  private receive(session: Session, type: number, payload: Buffer): void {
    const { socket } = session;
    switch (type) {
      case PACKET.PRELOGIN:
        // After the answer, a PRELOGIN packet carries the client's part of the TLS handshake.
        if (session.preloginAnswered) return (session.tls ?? this.startTls(session)).receive(payload, false);
        session.preloginAnswered = true;
        this.preloginEncryption.push(preloginEncryption(payload));
        return void socket.write(
          packet(PACKET.RESPONSE, END_OF_MESSAGE, preloginReply(this.options.preloginEncryption ?? ENCRYPT_NOT_SUP), 1),
        );
      case PACKET.LOGIN7:
        return this.login(socket, parseLogin7(payload));
      case PACKET.SQL_BATCH:
        return void this.batch(session, batchText(payload));
      case PACKET.ATTENTION:
        this.attentions += 1;
        session.attention = true;
        session.onAttention?.();
        // With no response under way, the acknowledgement is all there is to send.
        if (!session.responding) sendMessage(socket, doneToken(DONE.ATTENTION));
        return;
      default:
        socket.destroy();
    }
  }

  private login(socket: Socket, login: SeenLogin): void {
    this.logins.push(login);
    if (login.user !== this.options.user || login.password !== this.options.password) {
      const refused = errorToken({ number: 18456, message: `Login failed for user '${login.user}'.` });
      return sendMessage(socket, refused, doneToken(DONE.ERROR));
    }
    const database = login.database || (this.options.defaultDatabase ?? 'master');
    sendMessage(
      socket,
      loginAck(),
      envChange(1, database, 'master'),
      envChange(4, String(PACKET_SIZE), String(PACKET_SIZE)),
      doneToken(DONE.FINAL),
    );
  }

  private async batch(session: Session, sql: string): Promise<void> {
    this.batches.push(sql);
    const { socket } = session;
    session.responding = true;
    session.attention = false;
    const writer = new MessageWriter(socket);
    const canned: Canned | undefined = sql.startsWith('set ') ? { columns: [], rows: [] } : this.options.queries[sql];
    if (canned === undefined) {
      await writer.write(errorToken({ number: 2812, message: `The stand-in has no answer for: ${sql}` }));
      await writer.write(doneToken(DONE.ERROR));
    } else if ('errors' in canned) {
      for (const error of canned.errors) await writer.write(errorToken(error));
      await writer.write(doneToken(DONE.ERROR));
    } else if ('hang' in canned) {
      if (!session.attention) await new Promise<void>((resolve) => (session.onAttention = resolve));
      await writer.write(doneToken(DONE.FINAL));
    } else if ('stream' in canned) {
      await this.stream(session, writer, canned.columns, canned.stream);
    } else if (canned.columns.length === 0) {
      await writer.write(doneToken(DONE.FINAL));
    } else {
      await writer.write(colMetadata(canned.columns));
      const encode = canned.nbc ? nbcRowToken : rowToken;
      for (const row of canned.rows) await writer.write(encode(canned.columns, row));
      await writer.write(doneToken(DONE.COUNT, BigInt(canned.rows.length)));
    }
    writer.end();
    session.responding = false;
    // An ATTENTION that came while answering is acknowledged in a message of its own, after the answer.
    if (session.attention) sendMessage(socket, doneToken(DONE.ATTENTION));
  }

  /** Rows under TCP backpressure, one event-loop turn per packet's worth, until the end or an ATTENTION. */
  private async stream(
    session: Session,
    writer: MessageWriter,
    columns: TdsColumn[],
    stream: { count: number; row: (index: number) => TdsValue[] },
  ): Promise<void> {
    await writer.write(colMetadata(columns));
    let sent = 0;
    while (sent < stream.count && !session.attention && !session.socket.destroyed) {
      await writer.write(rowToken(columns, stream.row(sent)));
      sent += 1;
      this.streamedRows += 1;
      if (sent % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.write(doneToken(DONE.COUNT, BigInt(sent)));
  }
}
