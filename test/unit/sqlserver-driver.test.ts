/**
 * The SQL Server driver against a local TDS stand-in (test/support/tds-standin.ts,
 * whose header says what it proves and what it does not), and the reading of
 * SQL Server datasources: fields and SQLAlchemy's connection strings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, SlayerError } from '../../shared/src/errors';
import { openDriver } from '../../server/src/engine/drivers/connect';
import { redactCredentials } from '../../server/src/engine/drivers/credentials';
import { SqlServerDriver } from '../../server/src/engine/drivers/sqlserver';
import {
  sqlServerConfigFromFields,
  sqlServerConfigFromUrl,
  type SqlServerConfig,
} from '../../server/src/engine/drivers/sqlserver-config';
import { preloginVerdict } from '../../server/src/engine/drivers/sqlserver-prelogin';
import { RUNNABLE_DATASOURCE_TYPES } from '../../server/src/engine/schema/decode-datasource';
import type { DatasourceDef } from '../../server/src/engine/schema/types';
import { closedPort } from '../support/ports';
import { rejectsWith } from '../support/rejects-with';
import { TdsStandin, type Canned, type StandinOptions, type TdsColumn, type TdsValue } from '../support/tds-standin';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const USER = 'slayer';
/** Not ASCII, so LOGIN7's UCS-2 password scrambling is exercised; `@` and `:` need encoding in a URL. */
const PASSWORD = 'S3cr3t:pä@ss';

function datasource(fields: Partial<DatasourceDef>): DatasourceDef {
  return { version: 2, name: 'warehouse', type: 'mssql', ...fields };
}

/** The stand-in's connection string: TLS off, as the stand-in has none. */
function connectionString(standin: TdsStandin, password = PASSWORD, database = 'shop'): string {
  return `mssql+pyodbc://${USER}:${encodeURIComponent(password)}@127.0.0.1:${standin.port}/${database}?Encrypt=no`;
}

/** A driver for the stand-in from the datasource's fields: encryption required, as by default. */
function encryptedDriverFor(standin: TdsStandin): SqlServerDriver {
  const ds = datasource({ host: '127.0.0.1', username: USER, password: PASSWORD });
  const config = sqlServerConfigFromFields(ds, { host: '127.0.0.1', port: standin.port });
  return new SqlServerDriver(config, (text) => redactCredentials(text, ds));
}

/** A driver for the stand-in over TLS (encryption required, the default); `trust` its self-signed certificate. */
function tlsDriverFor(standin: TdsStandin, trust = true): SqlServerDriver {
  // localhost, not 127.0.0.1: TLS sends the host name (SNI), which an IP address may not be.
  const url =
    `mssql://${USER}:${encodeURIComponent(PASSWORD)}@localhost:${standin.port}/shop` +
    (trust ? '?TrustServerCertificate=yes' : '');
  const ds = datasource({ connection_string: url });
  return new SqlServerDriver(sqlServerConfigFromUrl(ds, url), (text) => redactCredentials(text, ds));
}

/** A driver for the stand-in, with the redactor connect.ts binds to a datasource. */
function driverFor(standin: TdsStandin, password = PASSWORD, database?: string): SqlServerDriver {
  const url = connectionString(standin, password, database);
  const ds = datasource({ connection_string: url });
  return new SqlServerDriver(sqlServerConfigFromUrl(ds, url), (text) => redactCredentials(text, ds));
}

async function withStandin(
  queries: Record<string, Canned>,
  work: (standin: TdsStandin) => Promise<void>,
  options: Partial<StandinOptions> = {},
): Promise<void> {
  const standin = await TdsStandin.start({ user: USER, password: PASSWORD, queries, ...options });
  try {
    await work(standin);
  } finally {
    await standin.close();
  }
}

function throwsCode(work: () => unknown, code: ErrorCode, pattern: RegExp): void {
  assert.throws(work, (error: unknown) => {
    assert.ok(error instanceof SlayerError);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

/** No secret in a message or a stack: the error's own text, however it was built. */
function assertNoSecret(error: Error, secret: string): void {
  assert.ok(!error.message.includes(secret), error.message);
  assert.ok(!String(error.stack).includes(secret), 'the stack repeats the message');
}

const INT: TdsColumn['type'] = { kind: 'int', bytes: 4 };
const SEVEN = 'SELECT id, name FROM seven ORDER BY id';
const sevenRows: Canned = {
  columns: [
    { name: 'id', type: INT },
    { name: 'name', type: { kind: 'nvarchar' } },
  ],
  rows: Array.from({ length: 7 }, (_, index) => [index + 1, `row ${index + 1}`]),
};
const seven = Array.from({ length: 7 }, (_, index) => ({ id: index + 1, name: `row ${index + 1}` }));

/** Name, SQL Server type, the value the stand-in sends, the value the driver must return. */
const TYPES: readonly (readonly [string, TdsColumn['type'], TdsValue, unknown])[] = [
  ['tiny', { kind: 'int', bytes: 1 }, 255, 255],
  ['small', { kind: 'int', bytes: 2 }, -32768, -32768],
  ['n', INT, 2147483647, 2147483647],
  ['big_safe', { kind: 'int', bytes: 8 }, 42n, 42],
  ['big', { kind: 'int', bytes: 8 }, 9007199254740993n, '9007199254740993'],
  ['big_min', { kind: 'int', bytes: 8 }, -9223372036854775808n, '-9223372036854775808'],
  ['flag_on', { kind: 'bit' }, true, true],
  ['flag_off', { kind: 'bit' }, false, false],
  ['ratio', { kind: 'float', bytes: 8 }, 0.25, 0.25],
  ['real', { kind: 'float', bytes: 4 }, 0.1, 0.1],
  ['price', { kind: 'decimal', precision: 10, scale: 2 }, '12.50', 12.5],
  ['wide_price', { kind: 'decimal', precision: 38, scale: 4 }, '-1234567.8901', -1234567.8901],
  ['amount', { kind: 'money', bytes: 8 }, 1234.5678, 1234.5678],
  ['small_amount', { kind: 'money', bytes: 4 }, -12.34, -12.34],
  ['name', { kind: 'nvarchar' }, 'hé "quoted"\n ✓', 'hé "quoted"\n ✓'],
  ['latin1', { kind: 'varchar' }, 'café', 'café'],
  ['bytes', { kind: 'varbinary' }, Buffer.from([0xde, 0xad, 0xbe, 0xef]), '\\xdeadbeef'],
  ['id', { kind: 'uniqueidentifier' }, '6F9619FF-8B86-D011-B42D-00C04FC964FF', '6f9619ff-8b86-d011-b42d-00c04fc964ff'],
  ['day', { kind: 'date' }, '2024-01-02', '2024-01-02'],
  ['first_day', { kind: 'date' }, '0001-01-01', '0001-01-01'],
  ['at_time', { kind: 'time', scale: 7 }, '03:04:05.1234567', '03:04:05.1234567'],
  ['at', { kind: 'datetime2', scale: 7 }, '2024-01-02T03:04:05.1234567', '2024-01-02T03:04:05.1234567'],
  ['at_whole', { kind: 'datetime2', scale: 3 }, '2024-01-02T03:04:05.000', '2024-01-02T03:04:05'],
  ['at_ms', { kind: 'datetime2', scale: 3 }, '2024-01-02T03:04:05.120', '2024-01-02T03:04:05.12'],
  ['before_1970', { kind: 'datetime2', scale: 7 }, '1969-12-31T23:59:59.9999999', '1969-12-31T23:59:59.9999999'],
  ['legacy_at', { kind: 'datetime' }, '2024-01-02T03:04:05.997', '2024-01-02T03:04:05.997'],
  ['small_at', { kind: 'smalldatetime' }, '2024-01-02T03:04', '2024-01-02T03:04:00'],
  ['moment', { kind: 'datetimeoffset', scale: 7 }, '2024-01-02T03:04:05.1234567+02:00', '2024-01-02T01:04:05.1234567Z'],
  ['moment_west', { kind: 'datetimeoffset', scale: 0 }, '2024-01-01T23:30:00-05:00', '2024-01-02T04:30:00Z'],
];

function everyType(nbc: boolean): Canned {
  return {
    columns: TYPES.map(([name, type]) => ({ name, type })),
    rows: [TYPES.map(([, , sent]) => sent), TYPES.map(() => null)],
    nbc,
  };
}

// ---------------------------------------------------------------------------
// Reading the datasource
// ---------------------------------------------------------------------------

describe('configuration', () => {
  test('fields give an encrypted, certificate-checked connection on port 1433 unless one is set', () => {
    const ds = datasource({ host: 'db.example', database: 'shop', username: 'u', password: 'p' });
    const expected: SqlServerConfig = {
      host: 'db.example',
      port: 1433,
      database: 'shop',
      user: 'u',
      password: 'p',
      encrypt: true,
      trustServerCertificate: false,
    };
    assert.deepEqual(sqlServerConfigFromFields(ds, { host: 'db.example' }), expected);
    assert.equal(sqlServerConfigFromFields(ds, { host: 'db.example', port: 1444 }).port, 1444);
  });

  test("SQLAlchemy's URL forms: user, percent-encoded password, host, port, database; `driver` ignored", () => {
    const forms = [
      'mssql://u:p%40ss@db.example:1444/shop',
      'mssql+pyodbc://u:p%40ss@db.example:1444/shop?driver=ODBC+Driver+18+for+SQL+Server',
      'mssql+pymssql://u:p%40ss@db.example:1444/shop',
      'sqlserver://u:p%40ss@db.example:1444/shop',
    ];
    for (const url of forms) {
      assert.deepEqual(
        sqlServerConfigFromUrl(datasource({ connection_string: url }), url),
        {
          host: 'db.example',
          port: 1444,
          database: 'shop',
          user: 'u',
          password: 'p@ss',
          encrypt: true,
          trustServerCertificate: false,
        },
        url,
      );
    }
  });

  test('a URL without a port uses 1433; TrustServerCertificate and Encrypt are read in any case', () => {
    const url = 'mssql+pyodbc://u:p@db.example/shop?trustservercertificate=YES&ENCRYPT=optional';
    const config = sqlServerConfigFromUrl(datasource({ connection_string: url }), url);
    assert.deepEqual([config.port, config.trustServerCertificate, config.encrypt], [1433, true, false]);
    const strict = 'mssql://u:p@db.example/shop?Encrypt=strict';
    assert.equal(sqlServerConfigFromUrl(datasource({ connection_string: strict }), strict).encrypt, 'strict');
    const mandatory = 'mssql://u:p@db.example/shop?Encrypt=mandatory&TrustServerCertificate=no';
    const checked = sqlServerConfigFromUrl(datasource({ connection_string: mandatory }), mandatory);
    assert.deepEqual([checked.encrypt, checked.trustServerCertificate], [true, false]);
  });

  test('a yes/no option that is neither is an InvalidInput naming it', () => {
    const url = 'mssql://u:p@db.example/shop?TrustServerCertificate=perhaps';
    throwsCode(
      () => sqlServerConfigFromUrl(datasource({ connection_string: url }), url),
      ErrorCode.InvalidInput,
      /TrustServerCertificate must be yes or no, got 'perhaps'/,
    );
  });

  test('Azure AD and Windows sign-in are refused as UnsupportedDatasource, a SQL login is not', () => {
    for (const option of ['Authentication=ActiveDirectoryPassword', 'Authentication=ActiveDirectoryMsi']) {
      const url = `mssql+pyodbc://u:p@db.example/shop?${option}`;
      throwsCode(
        () => sqlServerConfigFromUrl(datasource({ connection_string: url }), url),
        ErrorCode.UnsupportedDatasource,
        /Azure AD \/ Entra ID sign-in\) is not available in SLayer Studio; connect with a SQL Server login/,
      );
    }
    const windows = 'mssql+pyodbc://db.example/shop?Trusted_Connection=yes';
    throwsCode(
      () => sqlServerConfigFromUrl(datasource({ connection_string: windows }), windows),
      ErrorCode.UnsupportedDatasource,
      /Windows sign-in/,
    );
    const sqlLogin = 'mssql+pyodbc://u:p@db.example/shop?Authentication=SqlPassword&Trusted_Connection=no';
    assert.equal(sqlServerConfigFromUrl(datasource({ connection_string: sqlLogin }), sqlLogin).user, 'u');
  });

  test('a named instance (host\\instance) is refused, in the fields and in a URL', () => {
    const ds = datasource({ host: 'db\\SQLEXPRESS' });
    throwsCode(
      () => sqlServerConfigFromFields(ds, { host: 'db\\SQLEXPRESS' }),
      ErrorCode.InvalidInput,
      /named instance/,
    );
    for (const url of ['mssql://u:p@db\\SQLEXPRESS/shop', 'mssql://u:p@db%5CSQLEXPRESS/shop']) {
      throwsCode(
        () => sqlServerConfigFromUrl(datasource({ connection_string: url }), url),
        ErrorCode.InvalidInput,
        /named instances \('db\\SQLEXPRESS'\)/,
      );
    }
  });

  test('types mssql, sqlserver and tsql and the mssql/sqlserver schemes open the SQL Server driver', () => {
    for (const type of ['mssql', 'sqlserver', 'tsql']) {
      assert.ok((RUNNABLE_DATASOURCE_TYPES as readonly string[]).includes(type), type);
      assert.equal(openDriver(datasource({ type, host: 'db:1444' }), { baseDir: '/' }).dialect, 'sqlserver');
    }
    for (const url of ['mssql+pyodbc://u:p@db/shop', 'sqlserver://u:p@db/shop']) {
      const ds: DatasourceDef = { version: 2, name: 'w', connection_string: url };
      assert.equal(openDriver(ds, { baseDir: '/' }).dialect, 'sqlserver', url);
    }
  });
});

// ---------------------------------------------------------------------------
// The PRELOGIN check, on bytes
// ---------------------------------------------------------------------------

/** A PRELOGIN payload: option headers (token, offset, length), the terminator, then the options' data. */
function preloginPayload(options: [number, Buffer][]): Buffer {
  let offset = options.length * 5 + 1;
  const headers = options.map(([token, data]) => {
    const header = Buffer.from([token, 0, 0, 0, 0]);
    header.writeUInt16BE(offset, 1);
    header.writeUInt16BE(data.length, 3);
    offset += data.length;
    return header;
  });
  return Buffer.concat([...headers, Buffer.from([0xff]), ...options.map(([, data]) => data)]);
}

/** The payload as TDS RESPONSE packets of at most `size` payload bytes, the last one marked end-of-message. */
function packets(payload: Buffer, size = 4088): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const body = payload.subarray(at, at + size);
    const header = Buffer.from([0x04, at + size >= payload.length ? 0x01 : 0x00, 0, 0, 0, 0, 1, 0]);
    header.writeUInt16BE(8 + body.length, 2);
    parts.push(header, body);
  }
  return Buffer.concat(parts);
}

const VERSION_OPTION: [number, Buffer] = [0x00, Buffer.from([16, 0, 0x03, 0xe8, 0, 0])];
const encryption = (value: number): [number, Buffer] => [0x01, Buffer.from([value])];

describe('the PRELOGIN check', () => {
  test('only ENCRYPT_ON and ENCRYPT_REQ let the login go on', () => {
    const verdicts = [0x00, 0x01, 0x02, 0x03, 0x80, 0x81].map((value) =>
      preloginVerdict(packets(preloginPayload([VERSION_OPTION, encryption(value)]))),
    );
    assert.deepEqual(verdicts, [false, true, false, true, false, false]);
  });

  test('an answer without ENCRYPTION, or with a second one saying otherwise (tedious reads the last), is refused', () => {
    assert.equal(preloginVerdict(packets(preloginPayload([VERSION_OPTION]))), false);
    const twice = preloginPayload([encryption(0x01), VERSION_OPTION, encryption(0x02)]);
    assert.equal(preloginVerdict(packets(twice)), false);
  });

  test('the verdict waits for the whole message, across TCP chunks and TDS packets', () => {
    const whole = packets(preloginPayload([VERSION_OPTION, encryption(0x01)]), 7);
    for (let length = 0; length < whole.length; length++) {
      assert.equal(preloginVerdict(whole.subarray(0, length)), undefined, `${length} bytes`);
    }
    assert.equal(preloginVerdict(whole), true);
  });

  test('malformed answers are refused: a packet shorter than its header, options past the end', () => {
    assert.equal(preloginVerdict(Buffer.from([0x04, 0x01, 0x00, 0x04, 0, 0, 1, 0])), false);
    const cut = preloginPayload([VERSION_OPTION, encryption(0x01)]).subarray(0, 7);
    assert.equal(preloginVerdict(packets(cut)), false);
  });
});

// ---------------------------------------------------------------------------
// Against the stand-in
// ---------------------------------------------------------------------------

describe('login and session', () => {
  test('logs in with the user, password and database; read-only intent; implicit transactions on', async () => {
    await withStandin({ [SEVEN]: sevenRows }, async (standin) => {
      await driverFor(standin, PASSWORD, 'shop').run(SEVEN);
      assert.deepEqual(standin.logins, [
        { user: USER, password: PASSWORD, database: 'shop', appName: 'slayer-studio', readOnlyIntent: true },
      ]);
      assert.equal(standin.login7Packets, 1, 'with Encrypt=no the login goes to a server without encryption');
      const settings = standin.batches.find((text) => text.startsWith('set '));
      assert.match(
        settings ?? '',
        /^set implicit_transactions on$/m,
        'writes are rolled back when the connection closes',
      );
      assert.deepEqual(standin.queries, [SEVEN], 'the query text reaches the server unchanged, as one batch');
    });
  });

  test('a wrong password is a ConnectionFailed that never shows the password', async () => {
    await withStandin({}, async (standin) => {
      const wrong = 'wr0ng:pässwörd';
      const error = await rejectsWith(driverFor(standin, wrong).run(SEVEN), ErrorCode.ConnectionFailed);
      assert.match(error.message, /Login failed for user 'slayer'/);
      assertNoSecret(error, wrong);
      assert.equal(standin.logins[0]?.password, wrong, 'the stand-in did receive the password it refused');
    });
  });

  // MS-TDS 2.2.6.5: a client sending ENCRYPT_ON is encrypted only by an ENCRYPT_ON or ENCRYPT_REQ answer.
  const unencrypted: [string, number][] = [
    ['ENCRYPT_NOT_SUP', 0x02],
    ['ENCRYPT_OFF', 0x00],
    ['an unknown value', 0x80],
  ];
  for (const [name, answer] of unencrypted) {
    test(`with encryption required (the default), a PRELOGIN answer of ${name} ends it before any LOGIN7`, async () => {
      await withStandin(
        { [SEVEN]: sevenRows },
        async (standin) => {
          const error = await rejectsWith(encryptedDriverFor(standin).run(SEVEN), ErrorCode.ConnectionFailed);
          assert.equal(standin.login7Packets, 0, 'no LOGIN7 packet, so no password, went over the wire');
          assert.match(error.message, /offered no encryption/);
          assert.match(error.message, /the login was not sent/);
          assert.match(error.message, /Encrypt=no/);
          assertNoSecret(error, PASSWORD);
          assert.deepEqual(standin.preloginEncryption, [1], 'PRELOGIN asked for encryption (ENCRYPT_ON)');
          assert.deepEqual(standin.logins, []);
          assert.deepEqual(standin.queries, []);
        },
        { preloginEncryption: answer },
      );
    });
  }

  for (const [name, answer] of [
    ['ENCRYPT_ON', 0x01],
    ['ENCRYPT_REQ', 0x03],
  ] as const) {
    test(`a PRELOGIN answer of ${name} goes on to TLS: the login travels only inside it`, async () => {
      await withStandin(
        { [SEVEN]: sevenRows },
        async (standin) => {
          assert.deepEqual(await tlsDriverFor(standin).run(SEVEN), {
            columns: ['id', 'name'],
            rows: seven,
            truncated: false,
          });
          assert.equal(standin.tlsSessions, 1);
          assert.equal(standin.login7Packets, 0, 'no LOGIN7 packet in clear text');
          assert.equal(standin.logins[0]?.password, PASSWORD, 'the login arrived, inside TLS');
        },
        { preloginEncryption: answer },
      );
    });
  }

  test('over TLS, a preview of a huge result still stops the server streaming with an ATTENTION', async () => {
    const huge: Canned = { columns: [{ name: 'n', type: INT }], stream: { count: 1_000_000, row: (index) => [index] } };
    await withStandin(
      { 'SELECT n FROM huge': huge },
      async (standin) => {
        const result = await tlsDriverFor(standin).run('SELECT n FROM huge', { maxRows: 10 });
        assert.deepEqual([result.rows.length, result.truncated], [10, true]);
        assert.equal(standin.attentions, 1);
        assert.ok(standin.streamedRows < 100_000, `the stand-in sent ${standin.streamedRows} rows`);
      },
      { preloginEncryption: 0x01 },
    );
  });

  test('an untrusted certificate is a ConnectionFailed suggesting TrustServerCertificate; no login is sent', async () => {
    await withStandin(
      { [SEVEN]: sevenRows },
      async (standin) => {
        const error = await rejectsWith(tlsDriverFor(standin, false).run(SEVEN), ErrorCode.ConnectionFailed);
        assert.match(error.message, /certificate/);
        assert.match(error.message, /TrustServerCertificate=yes/);
        assert.equal(standin.login7Packets, 0);
        assert.deepEqual(standin.logins, []);
      },
      { preloginEncryption: 0x01 },
    );
  });

  test('with encryption required, a refused connection is a ConnectionFailed naming the host and port', async () => {
    const port = await closedPort();
    const ds = datasource({ host: '127.0.0.1', username: USER, password: PASSWORD });
    const config = sqlServerConfigFromFields(ds, { host: '127.0.0.1', port });
    const driver = new SqlServerDriver(config, (text) => redactCredentials(text, ds));
    const error = await rejectsWith(driver.run('SELECT 1'), ErrorCode.ConnectionFailed);
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assertNoSecret(error, PASSWORD);
  });

  test('a refused connection is a ConnectionFailed naming the host and port', async () => {
    const port = await closedPort();
    const url = `mssql://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/shop?Encrypt=no`;
    const ds = datasource({ connection_string: url });
    const driver = new SqlServerDriver(sqlServerConfigFromUrl(ds, url), (text) => redactCredentials(text, ds));
    const error = await rejectsWith(driver.run('SELECT 1'), ErrorCode.ConnectionFailed);
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assertNoSecret(error, PASSWORD);
  });
});

describe('rows and values', () => {
  test('several rows, in order, keyed by column name', async () => {
    await withStandin({ [SEVEN]: sevenRows }, async (standin) => {
      assert.deepEqual(await driverFor(standin).run(SEVEN), { columns: ['id', 'name'], rows: seven, truncated: false });
    });
  });

  test('an empty result still names its columns; a batch with no result set has none', async () => {
    const empty: Canned = { columns: [{ name: 'id', type: INT }], rows: [] };
    const none: Canned = { columns: [], rows: [] };
    await withStandin({ 'SELECT id FROM t WHERE 1 = 0': empty, 'DECLARE @x int': none }, async (standin) => {
      const driver = driverFor(standin);
      assert.deepEqual(await driver.run('SELECT id FROM t WHERE 1 = 0'), {
        columns: ['id'],
        rows: [],
        truncated: false,
      });
      assert.deepEqual(await driver.run('DECLARE @x int'), { columns: [], rows: [], truncated: false });
    });
  });

  for (const nbc of [false, true]) {
    const form = nbc ? 'NBCROW' : 'ROW';
    test(`every type maps to the driver contract (${form}), a bigint past 2^53 keeping every digit`, async () => {
      await withStandin({ 'SELECT everything': everyType(nbc) }, async (standin) => {
        const values = Object.fromEntries(TYPES.map(([name, , , expected]) => [name, expected]));
        const nulls = Object.fromEntries(TYPES.map(([name]) => [name, null]));
        const columns = TYPES.map(([name]) => name);
        assert.deepEqual(await driverFor(standin).run('SELECT everything'), {
          columns,
          rows: [values, nulls],
          truncated: false,
        });
      });
    });
  }
});

describe('maxRows', () => {
  test('stops at the row past the limit, says truncated, and cancels the batch with an ATTENTION', async () => {
    await withStandin({ [SEVEN]: sevenRows }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN, { maxRows: 3 });
      assert.deepEqual(result, { columns: ['id', 'name'], rows: seven.slice(0, 3), truncated: true });
      assert.equal(standin.attentions, 1);
    });
  });

  test('a limit equal to the row count reads to the end: not truncated, nothing cancelled', async () => {
    await withStandin({ [SEVEN]: sevenRows }, async (standin) => {
      const result = await driverFor(standin).run(SEVEN, { maxRows: 7 });
      assert.deepEqual([result.rows.length, result.truncated], [7, false]);
      assert.equal(standin.attentions, 0);
    });
  });

  test('a preview of a huge result stops the server streaming long before the end', async () => {
    const huge: Canned = { columns: [{ name: 'n', type: INT }], stream: { count: 1_000_000, row: (index) => [index] } };
    await withStandin({ 'SELECT n FROM huge': huge }, async (standin) => {
      const result = await driverFor(standin).run('SELECT n FROM huge', { maxRows: 10 });
      assert.deepEqual(
        result.rows,
        Array.from({ length: 10 }, (_, n) => ({ n })),
      );
      assert.equal(result.truncated, true);
      assert.equal(standin.attentions, 1);
      assert.ok(standin.streamedRows < 100_000, `the stand-in sent ${standin.streamedRows} rows`);
    });
  });

  test('a maxRows that is not a whole number is refused before connecting', async () => {
    await withStandin({}, async (standin) => {
      await rejectsWith(driverFor(standin).run(SEVEN, { maxRows: 1.5 }), ErrorCode.InvalidInput);
      assert.equal(standin.logins.length, 0);
    });
  });
});

describe('errors and cancellation', () => {
  test("a SQL error is the run's DatabaseError, with the server's message and no password", async () => {
    const canned: Canned = {
      errors: [{ number: 207, message: `Invalid column name 'nope'; login ${PASSWORD} has no access.` }],
    };
    await withStandin({ 'SELECT nope FROM t': canned }, async (standin) => {
      const error = await rejectsWith(driverFor(standin).run('SELECT nope FROM t'), ErrorCode.DatabaseError);
      assert.match(error.message, /^Invalid column name 'nope'; login \*\*\* has no access\.$/);
      assertNoSecret(error, PASSWORD);
    });
  });

  test('several errors for one batch are all in the message', async () => {
    const canned: Canned = {
      errors: [
        { number: 207, message: "Invalid column name 'a'." },
        { number: 207, message: "Invalid column name 'b'." },
      ],
    };
    await withStandin({ 'SELECT a, b FROM t': canned }, async (standin) => {
      const error = await rejectsWith(driverFor(standin).run('SELECT a, b FROM t'), ErrorCode.DatabaseError);
      assert.equal(error.message, "Invalid column name 'a'. Invalid column name 'b'.");
    });
  });

  test('an abort while the batch runs rejects with Cancelled and sends an ATTENTION', async () => {
    await withStandin({ 'WAITFOR DELAY': { hang: true } }, async (standin) => {
      const controller = new AbortController();
      const running = driverFor(standin).run('WAITFOR DELAY', { signal: controller.signal });
      await standin.until(() => standin.queries.length > 0);
      controller.abort();
      await rejectsWith(running, ErrorCode.Cancelled);
      await standin.until(() => standin.attentions > 0);
      assert.equal(standin.attentions, 1);
    });
  });

  test('an already aborted signal connects to nothing', async () => {
    await withStandin({ [SEVEN]: sevenRows }, async (standin) => {
      await rejectsWith(driverFor(standin).run(SEVEN, { signal: AbortSignal.abort() }), ErrorCode.Cancelled);
      assert.equal(standin.logins.length, 0);
    });
  });
});
