#!/usr/bin/env -S node --max-semi-space-size=2 --experimental-require-module --disable-warning=ExperimentalWarning
// `touchstone <command>`: runs the TypeScript sources as they are (tsx), then hands over to
// cli/touchstone.ts. The reference registry's commands (serve, gc, scrub) load reference/ with
// tsx's in-thread require hook instead of its ESM loader, whose module-loader thread carries a V8
// isolate of its own (~35 MB): a registry keeps its memory for blobs in flight. The V8 flags above
// keep the young generation small (a streamed upload allocates a buffer per socket read) and let
// require() load ES-module-only dependencies.
import { createRequire } from 'node:module';

const argv = process.argv.slice(2);
let code;
if (['serve', 'gc', 'scrub'].includes(argv[0] ?? '')) {
  const require = createRequire(import.meta.url);
  require('tsx/cjs/api').register();
  code = await require('../reference/cli.ts').main(argv);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli/touchstone.ts');
  code = await main(argv);
}
if (code !== undefined) process.exitCode = code;
