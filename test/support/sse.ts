import { get, IncomingHttpHeaders } from 'node:http';

interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** A Server-Sent Events client over a raw socket, collecting every event it receives. */
export interface SseClient {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body of a non-200 answer (a problem document). */
  body?: string;
  events: SseEvent[];
  comments: string[];
  ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      let buffer = '';
      let endedResolve!: () => void;
      const client: SseClient = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        comments: [],
        ended: new Promise<void>((r) => (endedResolve = r)),
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
            }
          }
          if (fields.event) {
            client.events.push({
              id: fields.id,
              event: fields.event,
              data: JSON.parse(fields.data ?? '{}') as Record<string, unknown>,
            });
          }
        }
        if (client.status !== 200) client.body = (client.body ?? '') + chunk;
      });
      res.on('end', endedResolve);
      res.on('close', endedResolve);
      resolve(client);
    });
    req.on('error', reject);
  });
}

/** Waits until `predicate` holds, polling every 20 ms; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}
