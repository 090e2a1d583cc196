/**
 * `touchstone play [--port 5000] [--host 127.0.0.1] [--root DIR] [--gc-grace SECONDS]`: starts the
 * playground (server.ts) and keeps it running until SIGINT or SIGTERM, then closes it and removes
 * a temporary store. It prints the page's URL and how to reach the same registry from outside.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { UsageError, seconds } from '../reference/cli-values.ts';
import { startPlayground, type Playground } from './server.ts';

export const PLAY_USAGE = 'touchstone play [--port 5000] [--host 127.0.0.1] [--root DIR] [--gc-grace SECONDS]';

const OPTIONS = {
  port: { type: 'string', default: '5000' },
  host: { type: 'string', default: '127.0.0.1' },
  root: { type: 'string' },
  'gc-grace': { type: 'string' },
} as const;

/** Parses the flags and starts the playground; the caller decides how long it runs. */
export async function startPlay(args: readonly string[], out: NodeJS.WritableStream = process.stderr): Promise<Playground> {
  const { values } = parseArgs({ args: [...args], options: OPTIONS });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`--port needs a port number, got ${values.port}`);
  const root = values.root === undefined ? undefined : resolve(values.root);
  let playground: Playground;
  try {
    playground = await startPlayground({ host: values.host, port, ...(root ? { root } : {}), ...(values['gc-grace'] !== undefined ? { gcGraceMs: seconds(values['gc-grace'], '--gc-grace') } : {}) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use: choose another with --port (0 takes any free port)`);
    throw error;
  }
  const host = new URL(playground.url).host;
  out.write(
    [
      `touchstone playground: ${playground.url}/`,
      `  the page and the reference registry share this port; every request to ${host}/v2/ shows in the page's live log`,
      `  store: ${playground.root}${root ? '' : ' (temporary, removed on exit)'}`,
      `  try: skopeo copy --dest-tls-verify=false oci:DIR:TAG docker://${host}/outside/image:TAG`,
      `       curl -i http://${host}/v2/`,
      '',
    ].join('\n'),
  );
  return playground;
}

/** `touchstone play`: undefined while it runs (it exits on a signal), 2 on a usage error. */
export async function main(args: readonly string[]): Promise<number | undefined> {
  let playground: Playground;
  try {
    playground = await startPlay(args);
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\nusage: ${PLAY_USAGE}\n`);
      return 2;
    }
    throw error;
  }
  const stop = (): void => {
    void playground.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return undefined;
}
