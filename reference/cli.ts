/**
 * `touchstone serve | gc | scrub`: the reference registry's command line.
 *   serve  [--port 5000] [--host 127.0.0.1] [--root ./data] [--no-delete] [--auto-mount]
 *          [--gc-interval S] [--gc-grace S] [--gc-delete-untagged] [--quiet]
 *          [--fault NAME]… [--list-faults]                 deviations for the fault catalog
 *   gc     --root DIR [--grace S] [--delete-untagged]   offline; stop the server first
 *   scrub  --root DIR                                  exits 1 when anything is damaged
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { startRegistry, DEFAULT_GC_GRACE_MS } from './http/server.ts';
import { ImageStore } from './store/image-store.ts';
import { FAULT_CATALOG, isFaultName, type FaultName } from './faults.ts';

/** Each command's options, printed by `touchstone COMMAND --help` (or -h). */
const USAGES = {
  serve: `usage: touchstone serve [options]
  runs the reference registry until SIGINT or SIGTERM

  --port N               port to listen on (default 5000; 0 picks a free one)
  --host H               address to listen on (default 127.0.0.1)
  --root DIR             the store: one OCI image layout per repository (default ./data)
  --no-delete            refuse manifest, tag and blob deletes (405 UNSUPPORTED)
  --auto-mount           a mount without from= finds the blob in any repository
  --gc-interval SECONDS  collect garbage periodically (default: only when asked)
  --gc-grace SECONDS     blobs and uploads younger than this survive GC (default 3600)
  --gc-delete-untagged   GC also collects untagged manifests nothing reaches
  --quiet                no request log
  --fault NAME           turn on a fault of the catalog (repeatable)
  --list-faults          print the fault catalog and exit
  -h, --help             this text`,
  gc: `usage: touchstone gc --root DIR [--grace SECONDS] [--delete-untagged]
  collects garbage offline: stop the server first

  --root DIR             the store
  --grace SECONDS        blobs and uploads younger than this survive (default 3600)
  --delete-untagged      also collect untagged manifests nothing reaches
  -h, --help             this text`,
  scrub: `usage: touchstone scrub --root DIR
  verifies every blob and manifest of the store; exits 1 when anything is damaged

  --root DIR             the store
  -h, --help             this text`,
} as const;

const USAGE = `usage:
  touchstone serve [--port 5000] [--host 127.0.0.1] [--root ./data] [--no-delete] [--auto-mount]
                   [--gc-interval SECONDS] [--gc-grace SECONDS] [--gc-delete-untagged] [--quiet]
                   [--fault NAME]... [--list-faults]
  touchstone gc --root DIR [--grace SECONDS] [--delete-untagged]
  touchstone scrub --root DIR`;

const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

/** Prints a command's options (its --help). */
function help(command: keyof typeof USAGES): void {
  process.stdout.write(`${USAGES[command]}\n`);
}

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new UsageError(`${flag} needs a number of seconds, got ${value}`);
  return number * 1000;
}

/** Starts the registry; false when it only listed the faults or printed its help. */
async function serve(args: string[]): Promise<boolean> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '5000' },
      host: { type: 'string', default: '127.0.0.1' },
      root: { type: 'string', default: './data' },
      'no-delete': { type: 'boolean', default: false },
      'auto-mount': { type: 'boolean', default: false },
      'gc-interval': { type: 'string' },
      'gc-grace': { type: 'string' },
      'gc-delete-untagged': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      fault: { type: 'string', multiple: true, default: [] },
      'list-faults': { type: 'boolean', default: false },
      ...HELP,
    },
  });
  if (values.help) {
    help('serve');
    return false;
  }
  if (values['list-faults']) {
    for (const [name, mirrors] of Object.entries(FAULT_CATALOG)) process.stdout.write(`${name.padEnd(30)} ${mirrors}\n`);
    return false;
  }
  const faults: FaultName[] = [];
  for (const name of values.fault) {
    if (!isFaultName(name)) throw new UsageError(`unknown fault ${name} (see --list-faults)`);
    faults.push(name);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port needs a port number, got ${values.port}`);
  const deletes = !values['no-delete'];
  const registry = await startRegistry({
    root: resolve(values.root),
    host: values.host,
    port,
    deletes: { manifests: deletes, tags: deletes, blobs: deletes },
    autoMount: values['auto-mount'],
    gcIntervalMs: seconds(values['gc-interval'], '--gc-interval'),
    gcGraceMs: seconds(values['gc-grace'], '--gc-grace') ?? DEFAULT_GC_GRACE_MS,
    gcDeleteUntagged: values['gc-delete-untagged'],
    ...(values.quiet ? { log: () => undefined } : {}),
    faults,
  });
  const faultNote = faults.length > 0 ? ` with faults: ${faults.join(', ')}` : '';
  process.stderr.write(`touchstone registry listening on ${registry.url} (store: ${resolve(values.root)})${faultNote}\n`);
  const stop = (): void => {
    void registry.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return true;
}

async function gc(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { root: { type: 'string' }, grace: { type: 'string' }, 'delete-untagged': { type: 'boolean', default: false }, ...HELP },
  });
  if (values.help) {
    help('gc');
    return 0;
  }
  if (values.root === undefined) throw new UsageError('gc needs --root DIR');
  const store = await ImageStore.open(resolve(values.root));
  const report = await store.collectGarbage({
    graceMs: seconds(values.grace, '--grace') ?? DEFAULT_GC_GRACE_MS,
    deleteUntagged: values['delete-untagged'],
  });
  for (const item of report.manifestsRemoved) process.stdout.write(`removed manifest ${item}\n`);
  for (const item of report.blobsRemoved) process.stdout.write(`removed blob ${item}\n`);
  process.stdout.write(
    `gc: ${report.repositories} repositories, ${report.manifestsRemoved.length} manifests, ${report.blobsRemoved.length} blobs (${report.bytesFreed} bytes), ${report.uploadsRemoved} uploads removed\n`,
  );
  return 0;
}

async function scrubCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { root: { type: 'string' }, ...HELP } });
  if (values.help) {
    help('scrub');
    return 0;
  }
  if (values.root === undefined) throw new UsageError('scrub needs --root DIR');
  const store = await ImageStore.open(resolve(values.root));
  const report = await store.scrub();
  for (const p of report.problems) process.stdout.write(`DAMAGED ${p.repository} ${p.item}: ${p.problem}\n`);
  process.stdout.write(`scrub: ${report.repositories} repositories, ${report.blobs} blobs, ${report.manifests} manifests checked, ${report.problems.length} problems\n`);
  return report.problems.length === 0 ? 0 : 1;
}

/** Runs a reference subcommand; returns the exit code, or undefined while `serve` keeps running. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return (await serve(rest)) ? undefined : 0;
      case 'gc':
        return await gc(rest);
      case 'scrub':
        return await scrubCommand(rest);
      default:
        throw new UsageError(command === undefined ? 'no command given' : `unknown command ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exitCode = code;
}
