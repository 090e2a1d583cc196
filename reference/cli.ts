/**
 * `touchstone serve | gc | scrub`: the reference registry's command line (serve: reference/serve.ts).
 *   gc     --root DIR [--grace S] [--delete-untagged]   offline; stop the server first
 *   scrub  --root DIR                                  exits 1 when anything is damaged
 * gc and scrub refuse a --root that holds no store, instead of creating one and reporting nothing.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { DEFAULT_GC_GRACE_MS } from './registry.ts';
import { ImageStore } from './store/image-store.ts';
import { SERVE_USAGE, serve } from './serve.ts';
import { UsageError, seconds } from './cli-values.ts';
import { ConfigError } from './auth/errors.ts';

const USAGE = `usage:
  ${SERVE_USAGE}
  touchstone gc --root DIR [--grace SECONDS] [--delete-untagged]
  touchstone scrub --root DIR`;

/** gc's and scrub's options, printed by `touchstone COMMAND --help` (or -h); serve's are in serve.ts. */
const USAGES = {
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

const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

/** Opens the store at an existing root, which must hold one (a repositories/ directory). */
async function existingStore(root: string | undefined, command: string): Promise<ImageStore> {
  if (root === undefined) throw new UsageError(`${command} needs --root DIR`);
  const dir = resolve(root);
  const isStore = await stat(resolve(dir, 'repositories')).then((info) => info.isDirectory(), () => false);
  if (!isStore) throw new UsageError(`${command}: ${dir} holds no touchstone store (no repositories/ directory); nothing to ${command}`);
  return ImageStore.open(dir);
}

async function gc(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { root: { type: 'string' }, grace: { type: 'string' }, 'delete-untagged': { type: 'boolean', default: false }, ...HELP },
  });
  if (values.help) {
    process.stdout.write(`${USAGES.gc}\n`);
    return 0;
  }
  const store = await existingStore(values.root, 'gc');
  const report = await store.collectGarbage({
    graceMs: seconds(values.grace, '--grace') ?? DEFAULT_GC_GRACE_MS,
    deleteUntagged: values['delete-untagged'],
  });
  for (const item of report.manifestsRemoved) process.stdout.write(`removed manifest ${item}\n`);
  for (const item of report.blobsRemoved) process.stdout.write(`removed blob ${item}\n`);
  process.stdout.write(
    `gc: ${report.repositories} repositories, ${report.manifestsRemoved.length} manifests, ${report.blobsRemoved.length} blobs (${report.bytesFreed} bytes), ${report.uploadsRemoved} uploads, ${report.temporaryRemoved} temporary files removed\n`,
  );
  return 0;
}

async function scrubCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { root: { type: 'string' }, ...HELP } });
  if (values.help) {
    process.stdout.write(`${USAGES.scrub}\n`);
    return 0;
  }
  const store = await existingStore(values.root, 'scrub');
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
    if (error instanceof ConfigError) {
      process.stderr.write(`touchstone: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

// Run directly (`node --import tsx reference/cli.ts …`). Neither import.meta nor top-level await:
// bin/touchstone.js loads this module with tsx's in-thread require hook.
if (process.argv[1]?.endsWith('/reference/cli.ts') === true) {
  void main(process.argv.slice(2)).then((code) => {
    if (code !== undefined) process.exitCode = code;
  });
}
