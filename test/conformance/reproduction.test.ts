/**
 * Reproductions that reproduce only what they claim to. The replay line of a counterexample
 * leaves out the original run's report outputs (--json, --junit, --html, --repro, --tap, and
 * OCI_REPORT_DIR), so running it never overwrites the full report, keeps what the replay needs,
 * and never prints a password. The curl script and the exchanges of a shrunk counterexample hold
 * only the minimal run's requests, even when an earlier failing execution left requests running
 * (a concurrent step whose first push failed while the others were still waiting for answers).
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { main, parseCheckArgs, type ParsedCheck } from '../../conformance/cli.ts';
import type { Report, Result } from '../../conformance/report/types.ts';
import { startTestRegistry } from '../helpers/registry.ts';
import { errorReply, startTamperProxy } from '../helpers/tamper-proxy.ts';
import { tempDir } from '../helpers/tools.ts';

function parsed(argv: string[], env: NodeJS.ProcessEnv = {}): ParsedCheck {
  const result = parseCheckArgs(argv, env);
  if (result === 'help') throw new Error('unexpected help');
  return result;
}

t.test('the replay line leaves out every report output and the password, keeps the rest', async (t) => {
  const argv = [
    '--url', 'http://r.example:5000', '--namespace', 'ns', '--username', 'u', '--password', 's3cret', '--no-referrers',
    '--gc-command', 'gc.sh', '--expect-gc-reclaims', '--json', 'out/r.json', '--junit=out/j.xml', '--html', 'out/r.html',
    '--repro', 'out/repro.sh', '--tap', '--only', 'property.gc', '--seed', '3', '--path', '1:2', '--runs', '5', '--max-commands', '9',
  ];
  const line = parsed(argv).config.property?.commandLine;
  t.equal(line, 'npx touchstone check --url http://r.example:5000 --namespace ns --username u --password "$OCI_PASSWORD" --no-referrers --gc-command gc.sh --expect-gc-reclaims --max-commands 9');
  t.equal(parsed(['--password=s3cret']).config.property?.commandLine, 'npx touchstone check --password "$OCI_PASSWORD"', '--password=… too');
  t.equal(parsed([], { OCI_REPORT_DIR: '/tmp/reports' }).config.property?.commandLine, 'OCI_REPORT_DIR= npx touchstone check', 'OCI_REPORT_DIR is emptied for the replay');
  t.equal(parsed([], { OCI_REPORT_DIR: '' }).config.property?.commandLine, 'npx touchstone check');
});

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** The execution numbers of the property repositories a text names (namespace/<run>-blobs-N-a). */
function executions(text: string): number[] {
  return [...new Set([...text.matchAll(/-blobs-(\d+)-[ab]\b/g)].map((m) => Number(m[1])))];
}

function counterexampleOf(report: Report): Result & { counterexample: NonNullable<Result['counterexample']> } {
  const result = report.results.find((r) => r.id === 'property.blobs');
  if (!result?.counterexample) throw new Error(`no counterexample: ${JSON.stringify(result?.message)}`);
  return result as Result & { counterexample: NonNullable<Result['counterexample']> };
}

t.test('a counterexample\'s curl script and exchanges hold only the minimal run, not requests an earlier execution left running', async (t) => {
  // A registry that cannot take two upload requests of one repository at once: the second gets a
  // 500 after 300 ms, while the first is answered after 500 ms. Only concurrent pushes fail, and
  // the failing push leaves its sibling's request waiting 200 ms after the execution ended, while
  // the next execution runs (it fails 300 ms in): that execution must not record it.
  const registry = await startTestRegistry(t);
  const busy = new Map<string, number>();
  const proxy = await startTamperProxy(t, registry.url, async (request, forward) => {
    const repo = /^\/v2\/(.+)\/blobs\/uploads\/[^/]+$/.exec(request.url.pathname)?.[1];
    if (repo === undefined || (request.method !== 'PATCH' && request.method !== 'PUT')) return undefined;
    const inProgress = busy.get(repo) ?? 0;
    busy.set(repo, inProgress + 1);
    try {
      await sleep(inProgress > 0 ? 300 : 500);
      return inProgress > 0 ? errorReply(500, 'UNKNOWN') : await forward();
    } finally {
      busy.set(repo, (busy.get(repo) ?? 1) - 1);
    }
  });
  const dir = await tempDir(t);
  const run = async (args: string[]): Promise<Report> => {
    const json = join(dir, `${args.join('').length}-${Date.now()}.json`);
    await main(['--url', proxy.url, '--only', 'property.blobs', '--max-commands', '4', '--json', json, '--quiet', ...args], { env: {}, stdout: new Sink(), stderr: new Sink() });
    return JSON.parse(await readFile(json, 'utf8')) as Report;
  };
  const first = counterexampleOf(await run(['--runs', '40', '--time-budget', '60', '--seed', '7']));
  t.match(first.counterexample.commands.join('; '), /ConcurrentBlobs/, `a concurrent step is needed: ${first.counterexample.commands.join('; ')}`);

  // The replay runs the counterexample (one failing execution), then runs it again to record it.
  const repro = join(dir, 'repro.sh');
  const replayed = counterexampleOf(await run(['--seed', String(first.counterexample.seed), '--path', first.counterexample.path, '--repro', repro]));
  t.same(replayed.counterexample.commands, first.counterexample.commands, 'the same minimal sequence');
  const script = await readFile(repro, 'utf8');
  t.equal(executions(script).length, 1, `the curl script names one execution's repositories: ${executions(script).join(', ')}`);
  t.equal(executions((replayed.exchanges ?? []).map((e) => e.url).join('\n')).length, 1, 'so do the exchanges of the result');
  t.same(executions(script), executions(replayed.message), 'the execution the failure message names');
});
