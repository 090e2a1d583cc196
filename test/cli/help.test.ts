/**
 * Help and version, run as a user runs them (`node bin/touchstone.js …`, the installed command):
 * `--help`, `-h` and `help` print the top-level usage, which lists every command, and exit 0;
 * `help COMMAND` and `COMMAND --help` print that command's options and exit 0; `--version` prints
 * package.json's version; no command or an unknown one is a usage error (exit 2, usage on stderr).
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { childEnv } from '../helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '../..');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function touchstone(args: readonly string[]): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, ['bin/touchstone.js', ...args], { cwd: ROOT, env: childEnv(), timeout: 30_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolveRun({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

const COMMANDS = ['check', 'serve', 'gc', 'scrub'];

t.test('--help, -h and help print the top-level usage listing every command, exit 0', async (t) => {
  for (const flag of ['--help', '-h', 'help']) {
    const run = await touchstone([flag]);
    t.equal(run.code, 0, `${flag}: exit 0 (stderr: ${run.stderr})`);
    t.match(run.stdout, /^usage: touchstone <command>/, `${flag}: the usage`);
    for (const command of COMMANDS) t.match(run.stdout, new RegExp(`^ {2}${command} `, 'm'), `${flag}: lists ${command}`);
    t.equal(run.stderr, '', `${flag}: nothing on stderr`);
  }
});

t.test('--version prints package.json\'s version', async (t) => {
  const { version } = JSON.parse(await readFile(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
  const run = await touchstone(['--version']);
  t.equal(run.code, 0);
  t.equal(run.stdout, `touchstone ${version}\n`);
});

t.test('COMMAND --help, COMMAND -h and help COMMAND print that command\'s options, exit 0', async (t) => {
  const expected: Record<string, RegExp> = {
    check: /^usage: touchstone check .*--gc-command CMD/s,
    serve: /^usage: touchstone serve .*--fault NAME.*--list-faults/s,
    gc: /^usage: touchstone gc --root DIR .*--delete-untagged/s,
    scrub: /^usage: touchstone scrub --root DIR/s,
  };
  for (const command of COMMANDS) {
    for (const args of [[command, '--help'], [command, '-h'], ['help', command]]) {
      const run = await touchstone(args);
      t.equal(run.code, 0, `${args.join(' ')}: exit 0 (stderr: ${run.stderr})`);
      t.match(run.stdout, expected[command] as RegExp, `${args.join(' ')}: the options of ${command}`);
    }
  }
});

t.test('no command, an unknown command or help for one are usage errors: exit 2, usage on stderr', async (t) => {
  for (const args of [[], ['frobnicate'], ['help', 'frobnicate']]) {
    const run = await touchstone(args);
    t.equal(run.code, 2, `${args.join(' ') || '(none)'}: exit 2`);
    t.match(run.stderr, /usage: touchstone <command>/, 'the top-level usage');
    t.equal(run.stdout, '');
  }
  const unknown = await touchstone(['frobnicate']);
  t.match(unknown.stderr, /^unknown command frobnicate\n/);
});
