/**
 * Writing responses: JSON bodies, empty responses with headers, and the error envelope
 * `{"errors":[{"code","message","detail"}]}` (spec §"Error Codes") from the one error table.
 */
import type { ServerResponse } from 'node:http';
import { StoreError } from '../store/errors.ts';
import { ERROR_TABLE, HttpError } from './errors.ts';

export type Headers = Record<string, string | number | string[]>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}, contentType = 'application/json'): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': text.length });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Headers = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

/** Sends a store or HTTP error with its code and status; anything else is a 5xx. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof StoreError || error instanceof HttpError) {
    const entry = ERROR_TABLE[error.kind];
    const extra = error instanceof HttpError ? error.headers : {};
    const envelope = { errors: [{ code: entry.code, message: error.message, detail: error.detail ?? {} }] };
    sendJson(res, entry.status, envelope, extra);
    return;
  }
  // ENOSPC is the disk, not the client: 507 Insufficient Storage (RFC 4918).
  const status = (error as NodeJS.ErrnoException | null)?.code === 'ENOSPC' ? 507 : 500;
  const text = status === 507 ? 'insufficient storage' : 'internal server error';
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': text.length, Connection: 'close' });
  res.end(text);
}
