/**
 * `touchstone <command>`: serve | gc | scrub run the reference registry (reference/cli.ts);
 * check runs the conformance suite (conformance/cli.ts), against the embedded reference registry
 * when no URL is given; play opens the spec-learning playground (playground/cli.ts). `npm start`
 * is `touchstone check` with no URL.
 */
import { main as referenceMain } from '../reference/cli.ts';
import { main as checkMain } from '../conformance/cli.ts';
import { main as playMain } from '../playground/cli.ts';
import { startEmbeddedReference } from './embedded.ts';

export async function main(argv: readonly string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === 'play') return playMain(rest);
  if (command !== 'check') return referenceMain([...argv]);
  const invocation = process.env.npm_lifecycle_event === 'start' ? 'npm start --' : 'npx touchstone check';
  return checkMain(rest, { embedded: () => startEmbeddedReference(), invocation });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const code = await main(process.argv.slice(2));
  if (code !== undefined) process.exitCode = code;
}
