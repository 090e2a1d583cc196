/**
 * Test helpers: a reference registry on 127.0.0.1 port 0 over a temp directory, torn down with the
 * test; an undici client with short keep-alive that always consumes response bodies.
 */
import { dir } from 'tmp-promise';
import { Agent, request, type Dispatcher } from 'undici';
import type { Test } from 'tap';
import { startRegistry, type RegistryOptions, type RunningRegistry } from '../../reference/registry.ts';
import type { RequestLog } from '../../reference/http/context.ts';

export interface TestRegistry extends RunningRegistry {
  readonly root: string;
  readonly logs: RequestLog[];
}

export async function startTestRegistry(t: Test, options: Partial<RegistryOptions> = {}): Promise<TestRegistry> {
  const tmp = await dir({ unsafeCleanup: true, prefix: 'touchstone-test-' });
  const logs: RequestLog[] = [];
  const registry = await startRegistry({ root: tmp.path, log: (entry) => logs.push(entry), ...options });
  t.teardown(async () => {
    await registry.close();
    await tmp.cleanup();
  });
  return { ...registry, root: options.root ?? tmp.path, logs };
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  json<T = unknown>(): T;
  header(name: string): string | undefined;
}

export interface CallOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** Another agent, e.g. one that trusts a test CA (test/helpers/auth.ts). */
  readonly dispatcher?: Dispatcher;
}

const agent = new Agent({ keepAliveTimeout: 10, keepAliveMaxTimeout: 10, connections: 16 });

/** One HTTP call; `path` is relative to the registry URL or absolute. */
export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const url = /^https?:/.test(path) ? path : `${base}${path}`;
  const response = await request(url, {
    method: method as 'GET',
    headers: options.headers,
    body: options.body as never,
    dispatcher: options.dispatcher ?? agent,
  });
  const body = Buffer.from(await response.body.arrayBuffer());
  const headers = response.headers;
  return {
    status: response.statusCode,
    headers,
    body,
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
    header: (name: string) => {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}
