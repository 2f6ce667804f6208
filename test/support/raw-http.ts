import { once } from 'node:events';
import { connect, Socket } from 'node:net';

export interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  socket: Socket;
  /** Everything the server sent, once it closed the connection (or `timeoutMs` passed). */
  closed: Promise<{ text: string; afterMs: number; byServer: boolean }>;
}

/** Opens a raw TCP connection, writes `data` (as is, possibly an incomplete request) and watches it. */
export async function rawSend(port: number, data: string, timeoutMs = 30_000): Promise<RawExchange> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = Date.now();
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<{ text: string; afterMs: number; byServer: boolean }>((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), afterMs: Date.now() - started, byServer: false });
    }, timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), afterMs: Date.now() - started, byServer: true });
    });
  });
  if (data) socket.write(data);
  return { socket, closed };
}

/** Parses the first HTTP/1.1 response in `text`. */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { statusCode: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4) };
}
