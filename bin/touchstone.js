#!/usr/bin/env node
// `touchstone <command>`: serve | gc | scrub (reference registry) and check (conformance suite).
// Registers tsx so the TypeScript sources run as they are, then hands over to the right half.
import { register } from 'tsx/esm/api';

register();
const [command] = process.argv.slice(2);
const { main } = await import(command === 'check' ? '../conformance/cli.ts' : '../reference/cli.ts');
const code = await main(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
