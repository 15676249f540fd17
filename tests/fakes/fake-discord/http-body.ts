/**
 * Request bodies as Discord accepts them: JSON, or multipart/form-data with a
 * `payload_json` field and `files[n]` parts (parsed with Node's own fetch FormData).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Json, ReceivedFile } from './types.js';

/** Discord's limit for a bot upload without boost (25 MiB); more is answered 413. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ParsedBody {
  readonly json: Json;
  readonly files: ReceivedFile[];
}

export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, 'Request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function parseBody(req: IncomingMessage): Promise<ParsedBody> {
  const raw = await readRaw(req);
  const contentType = req.headers['content-type'] ?? '';
  if (raw.length === 0) return { json: null, files: [] };
  if (contentType.startsWith('multipart/form-data')) return parseMultipart(raw, contentType);
  if (contentType.startsWith('application/json')) {
    try {
      return { json: JSON.parse(raw.toString('utf8')) as Json, files: [] };
    } catch {
      throw new BodyError(400, 'The request body contains invalid JSON.');
    }
  }
  throw new BodyError(400, `Unsupported content type "${contentType}"`);
}

async function parseMultipart(raw: Buffer, contentType: string): Promise<ParsedBody> {
  let form: FormData;
  try {
    form = await new Request('http://fake.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(raw),
    }).formData();
  } catch (error) {
    throw new BodyError(400, `Malformed multipart body: ${(error as Error).message}`);
  }
  let json: Json = null;
  const files: ReceivedFile[] = [];
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      if (field !== 'payload_json') continue;
      try {
        json = JSON.parse(value) as Json;
      } catch {
        throw new BodyError(400, 'payload_json is not valid JSON.');
      }
    } else {
      files.push({
        field,
        filename: value.name,
        contentType: value.type === '' ? 'application/octet-stream' : value.type,
        bytes: Buffer.from(await value.arrayBuffer()),
      });
    }
  }
  return { json, files };
}

export function sendJson(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text).toString(), ...headers });
  res.end(text);
}

export function sendEmpty(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}

/** Discord's error body: `{ code, message }` plus `errors` for form errors (50035). */
export function discordError(code: number, message: string, errors?: Json): Json {
  return errors === undefined ? { code, message } : { code, message, errors };
}
