#!/usr/bin/env node
// `touchstone <command>`: registers tsx so the TypeScript sources run as they are, then hands over
// to cli/touchstone.ts (serve | gc | scrub for the reference registry, check for the suite, bench
// for the benchmark).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/touchstone.ts');
const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
