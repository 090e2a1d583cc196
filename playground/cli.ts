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

export const PLAY_HELP = `usage: ${PLAY_USAGE}
  serves a web page for learning the OCI Distribution Spec and, on the same port, the reference
  registry it drives: walkthroughs of the spec's flows, the store, a live log of every request
  (from the page, skopeo, curl or the suite), GC explained, faults as lessons. Runs until SIGINT
  or SIGTERM; nothing is fetched from elsewhere, nothing is written outside the store.

  --port N               port of the page and the registry (default 5000; 0 picks a free one)
  --host H               address to listen on (default 127.0.0.1)
  --root DIR             keep the store in DIR, and leave it there (default: a temporary store,
                         removed on exit)
  --gc-grace SECONDS     blobs and uploads younger than this survive GC (default 3600); GC
                         also collects untagged manifests nothing reaches
  -h, --help             this text`;

const OPTIONS = {
  port: { type: 'string', default: '5000' },
  host: { type: 'string', default: '127.0.0.1' },
  root: { type: 'string' },
  'gc-grace': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Parses the flags and starts the playground (--help is main's); the caller decides how long it runs. */
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

/** `touchstone play`: undefined while it runs (it exits on a signal), 0 after --help, 2 on a usage error. */
export async function main(args: readonly string[]): Promise<number | undefined> {
  let playground: Playground;
  try {
    if (parseArgs({ args: [...args], options: OPTIONS }).values.help) {
      process.stdout.write(`${PLAY_HELP}\n`);
      return 0;
    }
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
