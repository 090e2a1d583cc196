/**
 * `touchstone bench`: a load benchmark for any registry that checks every answer, and compares
 * registries side by side. Reads the flags, refuses a run that may push more than 1 GiB to a
 * registry without --yes (printing the estimate), checks each registry answers `GET /v2/` (spec
 * "Determining support", end-1), runs the plan with a live display, prints the summary, writes
 * the reports asked for, and gates on a baseline. Exit codes: 0 every answer right (and no
 * regression), 1 a wrong answer or a regression, 2 usage or harness errors (a registry that cannot
 * be reached, an interrupted run, a bug of the benchmark).
 */
import { randomInt } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, release } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HarnessError } from '../conformance/client/errors.ts';
import { RegistryClient } from '../conformance/client/registry-client.ts';
import { progress } from './progress.ts';
import { processExists } from './resources.ts';
import { ratios, regressions, verdict } from './report/compare.ts';
import { toHtml } from './report/html.ts';
import { toMarkdown } from './report/markdown.ts';
import { formatSummary } from './report/text.ts';
import type { BenchResult } from './result.ts';
import { runBenchmark, volumeEstimate, type RunTarget } from './runner.ts';
import { DEFAULTS, formatSize, LIMITS, parseSize, type Settings } from './settings.ts';
import { WORKLOADS } from './workloads/index.ts';

export const USAGE = `usage: touchstone bench --url [NAME=]URL [--url [NAME=]URL …] [options]

registries
  --url [NAME=]URL        a registry (repeatable); NAME labels it in tables and charts (default A, B, …)
  --username U --password P   credentials for Basic or token auth (env OCI_USERNAME, OCI_PASSWORD)
  --pid NAME=PID          the process of a registry on this machine (NAME or URL): its memory is measured
  --namespace NS          repositories go under NS/<run id>/… (default ${DEFAULTS.namespace})
  --yes                   run even when the run may push more than ${formatSize(DEFAULTS.confirmAbove)} to a registry

workloads (each cell: one workload × blob size × concurrency on one registry)
  --workloads LIST        comma-separated, default all: ${WORKLOADS.map((w) => w.name).join(', ')}
  --sizes LIST            blob sizes (default 1MiB,16MiB,128MiB)
  --concurrency LIST      concurrent clients (default 1,8,32)
  --duration S            no operation starts after S seconds in a cell (default ${DEFAULTS.durationMs / 1000})
  --count N               at most N operations per cell (default ${DEFAULTS.count})
  --cell-volume SIZE      at most SIZE of blobs per cell (default ${formatSize(DEFAULTS.cellVolume)}); a cell
                          whose clients alone would move more is skipped
  --chunk-size SIZE       chunk of push-chunked (default ${formatSize(DEFAULTS.chunkSize)})
  --write-percent P       pushes in the mixed workload, the rest pulls (default ${DEFAULTS.writePercent})
  --tags N --page-size N  tags-list: a repository of N tags (default ${DEFAULTS.tags}) listed N at a time (default ${DEFAULTS.pageSize})
  --referrers N           referrers: the subject's referrers (default ${DEFAULTS.referrers})
  --seed N                seed of the generated blobs (default random, printed)

comparison
  --compare               registries take turns cell by cell (A, B, A, B …); ratios to the first
  --repeat N              repetitions of each cell (default 3 with --compare, else 1)
  --baseline FILE         a previous --json result: exit 1 when op/s fell or p50 latency rose by
  --max-regression PCT    more than PCT % in any cell (default 10)

output
  --json FILE --markdown FILE --html FILE
  --quiet                 no progress display`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const OPTIONS = {
  url: { type: 'string', multiple: true },
  username: { type: 'string' },
  password: { type: 'string' },
  pid: { type: 'string', multiple: true },
  namespace: { type: 'string' },
  yes: { type: 'boolean' },
  workloads: { type: 'string' },
  sizes: { type: 'string' },
  concurrency: { type: 'string' },
  duration: { type: 'string' },
  count: { type: 'string' },
  'cell-volume': { type: 'string' },
  'chunk-size': { type: 'string' },
  'write-percent': { type: 'string' },
  tags: { type: 'string' },
  'page-size': { type: 'string' },
  referrers: { type: 'string' },
  seed: { type: 'string' },
  compare: { type: 'boolean' },
  repeat: { type: 'string' },
  baseline: { type: 'string' },
  'max-regression': { type: 'string' },
  json: { type: 'string' },
  markdown: { type: 'string' },
  html: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface ParsedBench {
  readonly registries: readonly { readonly label: string; readonly url: string; readonly pid: number | undefined }[];
  readonly settings: Settings;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly yes: boolean;
  readonly baseline: string | undefined;
  readonly maxRegression: number;
  readonly outputs: { readonly json?: string | undefined; readonly markdown?: string | undefined; readonly html?: string | undefined; readonly quiet: boolean };
}

function whole(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return Number(value);
}

function size(value: string, flag: string, min = 1): number {
  const bytes = parseSize(value);
  if (bytes === undefined || bytes < min || bytes > LIMITS.size) throw new UsageError(`${flag} needs a size such as 512KiB, 16MiB or 1GiB (at least ${min} bytes, at most ${formatSize(LIMITS.size)}), got ${JSON.stringify(value)}`);
  return bytes;
}

function list(value: string | undefined, fallback: readonly number[], parse: (item: string) => number): number[] {
  if (value === undefined) return [...fallback];
  return [...new Set(value.split(',').map((item) => parse(item.trim())))].sort((a, b) => a - b);
}

export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedBench | 'help' {
  const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const urls = values.url ?? [];
  if (urls.length === 0) throw new UsageError('give at least one --url');
  const registries = urls.map((value, i) => {
    const named = /^([A-Za-z0-9][\w.-]*)=(.*)$/.exec(value);
    const url = (named?.[2] ?? value).replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`--url needs an http(s) URL, got ${JSON.stringify(value)}`);
    return { label: named?.[1] ?? String.fromCharCode(65 + (i % 26)), url, pid: undefined as number | undefined };
  });
  if (new Set(registries.map((r) => r.label)).size !== registries.length) throw new UsageError('two registries share a name: give each --url its own NAME=');
  for (const value of values.pid ?? []) {
    const at = value.lastIndexOf('=');
    const key = value.slice(0, at).replace(/\/+$/, '');
    const registry = registries.find((r) => r.label === key || r.url === key);
    if (at < 0 || registry === undefined || !/^\d+$/.test(value.slice(at + 1))) throw new UsageError(`--pid needs NAME=PID or URL=PID for a given --url, got ${JSON.stringify(value)}`);
    registry.pid = Number(value.slice(at + 1));
  }
  const compare = values.compare === true;
  if (compare && registries.length < 2) throw new UsageError('--compare needs at least two --url');
  const names = values.workloads === undefined ? WORKLOADS.map((w) => w.name) : values.workloads.split(',').map((w) => w.trim());
  for (const name of names) if (!WORKLOADS.some((w) => w.name === name)) throw new UsageError(`unknown workload ${JSON.stringify(name)}; the workloads are ${WORKLOADS.map((w) => w.name).join(', ')}`);
  const duration = values.duration;
  if (duration !== undefined && (!/^\d+(\.\d+)?$/.test(duration) || Number(duration) <= 0 || Number(duration) * 1000 > LIMITS.durationMs)) throw new UsageError(`--duration needs seconds above 0 and at most ${LIMITS.durationMs / 1000}, got ${JSON.stringify(duration)}`);
  const maxRegression = values['max-regression'];
  if (maxRegression !== undefined && (!/^\d+(\.\d+)?$/.test(maxRegression) || values.baseline === undefined)) throw new UsageError('--max-regression needs a percentage, and --baseline FILE to compare with');
  const settings: Settings = {
    workloads: WORKLOADS.map((w) => w.name).filter((w) => names.includes(w)),
    sizes: list(values.sizes, DEFAULTS.sizes, (s) => size(s, '--sizes')),
    concurrency: list(values.concurrency, DEFAULTS.concurrency, (c) => whole(c, '--concurrency', 1, LIMITS.concurrency, 1)),
    durationMs: duration === undefined ? DEFAULTS.durationMs : Number(duration) * 1000,
    count: whole(values.count, '--count', 1, LIMITS.count, DEFAULTS.count),
    cellVolume: values['cell-volume'] === undefined ? DEFAULTS.cellVolume : size(values['cell-volume'], '--cell-volume'),
    chunkSize: values['chunk-size'] === undefined ? DEFAULTS.chunkSize : size(values['chunk-size'], '--chunk-size'),
    writePercent: whole(values['write-percent'], '--write-percent', 0, 100, DEFAULTS.writePercent),
    tags: whole(values.tags, '--tags', 1, 100_000, DEFAULTS.tags),
    pageSize: whole(values['page-size'], '--page-size', 1, 100_000, DEFAULTS.pageSize),
    referrers: whole(values.referrers, '--referrers', 1, 10_000, DEFAULTS.referrers),
    repeat: whole(values.repeat, '--repeat', 1, LIMITS.repeat, compare ? 3 : 1),
    seed: whole(values.seed, '--seed', 0, 2 ** 32 - 1, randomInt(2 ** 32 - 1)),
    namespace: values.namespace ?? DEFAULTS.namespace,
    compare,
  };
  return {
    registries,
    settings,
    username: values.username ?? env.OCI_USERNAME,
    password: values.password ?? env.OCI_PASSWORD,
    yes: values.yes === true,
    baseline: values.baseline,
    maxRegression: maxRegression === undefined ? 10 : Number(maxRegression),
    outputs: { json: values.json, markdown: values.markdown, html: values.html, quiet: values.quiet === true },
  };
}

export interface BenchOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Stops the run early (the CLI wires SIGINT to it); what ran is reported, and the exit code is 2. */
  readonly signal?: AbortSignal;
  /** How the user invoked it, for the command line recorded in the reports. */
  readonly invocation?: string;
}

async function readBaseline(file: string): Promise<BenchResult> {
  let parsed: Partial<BenchResult>;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<BenchResult>;
  } catch (error) {
    throw new UsageError(`--baseline ${file}: ${(error as Error).message}`);
  }
  if (parsed.tool !== 'touchstone bench' || parsed.format !== 1 || !Array.isArray(parsed.cells)) throw new UsageError(`--baseline ${file}: not a touchstone bench --json result`);
  return parsed as BenchResult;
}

/** GET /v2/ must answer 200 (after authentication): otherwise the run cannot start. */
async function reachable(client: RegistryClient, url: string): Promise<void> {
  const reply = await client.request('GET', '/v2/');
  if (reply.status === 401) throw new HarnessError(`${url}: GET /v2/ answered 401: check --username and --password`);
  if (reply.status !== 200) throw new HarnessError(`${url}: GET /v2/ answered ${reply.status}: is this a registry (spec end-1)?`);
}

function runId(): string {
  return `b${Date.now().toString(36)}${randomInt(36 ** 4).toString(36)}`;
}

/** `touchstone bench …`: returns the exit code. */
export async function main(argv: readonly string[], options: BenchOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let parsed: ParsedBench | 'help';
  let baseline: BenchResult | undefined;
  try {
    parsed = parseBenchArgs(argv, options.env ?? process.env);
    if (parsed !== 'help' && parsed.baseline !== undefined) baseline = await readBaseline(parsed.baseline);
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (parsed === 'help') {
    stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { settings, outputs } = parsed;
  const workloads = WORKLOADS.filter((w) => settings.workloads.includes(w.name));
  const estimate = volumeEstimate(workloads, settings);
  stderr.write(`at most ${formatSize(estimate)} pushed to each registry (caps: ${settings.count} operations, ${settings.durationMs / 1000} s, ${formatSize(settings.cellVolume)} per cell; ${settings.repeat} repetition${settings.repeat === 1 ? '' : 's'}); seed ${settings.seed}\n`);
  if (estimate > DEFAULTS.confirmAbove && !parsed.yes) {
    stderr.write(`refusing to run: that is more than ${formatSize(DEFAULTS.confirmAbove)}; add --yes to run anyway, or lower --count, --cell-volume, --sizes or --repeat\n`);
    return 2;
  }
  for (const r of parsed.registries) {
    if (r.pid !== undefined && !(await processExists(r.pid))) {
      stderr.write(`--pid ${r.label}=${r.pid}: no such process on this machine\n`);
      return 2;
    }
  }
  const clients = parsed.registries.map((r) => new RegistryClient({ baseUrl: r.url, username: parsed.username, password: parsed.password, timeoutMs: 120_000 }));
  const started = new Date();
  const display = progress(outputs.quiet ? { write: () => true } as unknown as NodeJS.WritableStream : stderr);
  try {
    for (const [i, r] of parsed.registries.entries()) await reachable(clients[i] as RegistryClient, r.url);
    const targets: RunTarget[] = parsed.registries.map((r, i) => ({ label: r.label, url: r.url, client: clients[i] as RegistryClient, ...(r.pid !== undefined ? { pid: r.pid } : {}) }));
    const id = runId();
    const outcome = await runBenchmark(targets, workloads, settings, id, display, options.signal);
    display.done();
    const found = baseline ? regressions(outcome, baseline, parsed.maxRegression).found : undefined;
    const result: BenchResult = {
      tool: 'touchstone bench',
      format: 1,
      startedAt: started.toISOString(),
      seconds: (Date.now() - started.getTime()) / 1000,
      runId: id,
      machine: { cpus: cpus().length, node: process.versions.node, platform: process.platform, release: release() },
      command: [options.invocation ?? 'npx touchstone bench', ...argv].join(' '),
      settings,
      registries: outcome.registries,
      cells: outcome.cells,
      errors: outcome.errors,
      ratios: ratios(outcome.cells, outcome.registries.map((r) => r.label)),
      regressions: found,
      interrupted: outcome.interrupted,
      verdict: verdict(outcome.errors, found, outcome.interrupted),
    };
    stdout.write(`\n${formatSummary(result)}\n`);
    const write = async (file: string | undefined, text: string, what: string): Promise<void> => {
      if (file === undefined) return;
      const path = resolve(file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
      stderr.write(`${what} written to ${path}\n`);
    };
    await write(outputs.json, `${JSON.stringify(result, null, 2)}\n`, 'JSON result');
    await write(outputs.markdown, toMarkdown(result), 'Markdown report');
    await write(outputs.html, toHtml(result), 'HTML report');
    if (result.verdict.status !== 'ok') return 1;
    return outcome.interrupted ? 2 : 0;
  } catch (error) {
    display.done();
    if (error instanceof HarnessError) {
      stderr.write(`harness error: ${error.message}\n`);
      return 2;
    }
    stderr.write(`harness error (a bug of the benchmark): ${(error as Error).stack ?? String(error)}\n`);
    return 2;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
