/**
 * `touchstone <command>`: serve | gc | scrub run the reference registry (reference/cli.ts);
 * check runs the conformance suite (conformance/cli.ts), against the embedded reference registry
 * when no URL is given. `npm start` is `touchstone check` with no URL. `--help`, `-h` and `help`
 * print the commands, `help COMMAND` (like `COMMAND --help`) one command's options, `--version`
 * package.json's version.
 * `bench` runs the load benchmark (bench/cli.ts; Ctrl-C stops it and reports what ran).
 */
import { readFile } from 'node:fs/promises';
import { main as referenceMain } from '../reference/cli.ts';
import { main as checkMain } from '../conformance/cli.ts';
import { main as benchMain } from '../bench/cli.ts';
import { startEmbeddedReference } from './embedded.ts';

export const USAGE = `usage: touchstone <command> [options]

commands
  check    check a registry against the OCI Distribution Spec: scripted checks and property tests
           (without --url: the embedded reference registry, as \`npm start\` does)
  serve    run the reference registry, optionally with faults of the catalog
  gc       collect garbage in a stopped reference registry's store
  scrub    verify every blob and manifest of a reference registry's store
  bench    measure registries under load, checking every answer, side by side with --compare

  help [COMMAND]   this text, or the options of COMMAND (as \`touchstone COMMAND --help\`)
  --version        the version`;

const COMMANDS = new Set(['check', 'serve', 'gc', 'scrub', 'bench']);

async function version(): Promise<string> {
  const packageJson = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

function usageError(message: string): number {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  return 2;
}

export async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === undefined) return usageError('no command given');
  if (command === '--help' || command === '-h' || (command === 'help' && rest.length === 0)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === '--version') {
    process.stdout.write(`touchstone ${await version()}\n`);
    return 0;
  }
  if (command === 'help') {
    const [topic] = rest;
    return topic !== undefined && COMMANDS.has(topic) ? main([topic, '--help']) : usageError(`no command ${topic ?? ''}`);
  }
  if (!COMMANDS.has(command)) return usageError(`unknown command ${command}`);
  if (command === 'bench') {
    const stop = new AbortController();
    const interrupt = (): void => stop.abort();
    process.once('SIGINT', interrupt);
    try {
      return await benchMain(rest, { signal: stop.signal });
    } finally {
      process.off('SIGINT', interrupt);
    }
  }
  if (command !== 'check') return referenceMain([...argv]);
  const invocation = process.env.npm_lifecycle_event === 'start' ? 'npm start --' : 'npx touchstone check';
  return checkMain(rest, { embedded: () => startEmbeddedReference(), invocation });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exitCode = code;
}
