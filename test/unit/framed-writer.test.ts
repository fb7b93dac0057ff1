/**
 * The stdio writer sends each message as one frame: the header LSP defines
 * (byte length of the UTF-8 body) and the body, in one write, in order; a
 * stock vscode-jsonrpc reader reads them back unchanged.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { StreamMessageReader, type Message } from 'vscode-languageserver/node';
import { FramedMessageWriter, frameOf } from '../../server/src/framed-writer';

const messages: Message[] = [
  { jsonrpc: '2.0', id: 1, result: { contents: 'naïve € 📈 revenue' } } as Message,
  { jsonrpc: '2.0', method: 'window/logMessage', params: { type: 3, message: 'x'.repeat(70_000) } } as Message,
  { jsonrpc: '2.0', id: 2, result: null } as Message,
];

test('a frame is the LSP header with the body byte length, then the UTF-8 body', () => {
  const message = messages[0] ?? assert.fail();
  const body = JSON.stringify(message);
  assert.equal(frameOf(message).toString('utf8'), `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
});

test('each message is one write, and a stock reader reads every message back in order', async () => {
  const stream = new PassThrough();
  const writes: number[] = [];
  const write = stream.write.bind(stream);
  stream.write = ((chunk: Buffer, ...rest: never[]) => {
    writes.push(chunk.length);
    return write(chunk, ...rest);
  }) as typeof stream.write;
  const received: Message[] = [];
  const reader = new StreamMessageReader(stream);
  const done = new Promise<void>((resolve) =>
    reader.listen((message) => {
      received.push(message);
      if (received.length === messages.length) resolve();
    }),
  );
  const writer = new FramedMessageWriter(stream);
  for (const message of messages) await writer.write(message);
  await done;
  assert.deepEqual(received, messages);
  assert.deepEqual(
    writes,
    messages.map((message) => frameOf(message).length),
  );
  reader.dispose();
  writer.dispose();
});
