/**
 * `npm run torture`: the reference registry under torture (issue 9), each scenario against its own
 * registry process: kills, tags, gc, hostile, stalls. Each prints one line of figures (and a few
 * offending samples under it); the run exits 1 when any figure misses its goal, 2 when the harness
 * itself failed. Flags scale every count; the seed (random unless given) is printed for replay.
 */
import { parseArgs } from 'node:util';
import { runGc } from './gc.ts';
import { runHostile } from './hostile.ts';
import { runKills } from './kills.ts';
import { freshSeed } from './random.ts';
import type { Outcome } from './scenario.ts';
import { runStalls } from './stalls.ts';
import { runTags } from './tags.ts';

const USAGE = `usage: npm run torture -- [--only kills,tags,gc,hostile,stalls] [--seed N] [--verbose] [--serve-arg FLAG]...
  kills:   [--kill-cycles 20] [--writers 6] [--new-repos 2]
  tags:    [--tag-updates 1000] [--tag-concurrency 50]
  gc:      [--gc-pushers 16] [--gc-windows 6] [--gc-window-seconds 5]
  hostile: [--hostile 100000] [--hostile-connections 32]
  stalls:  [--stalled 300] [--idle 500] [--probes 200] [--hold 70]`;

const SCENARIOS = ['kills', 'tags', 'gc', 'hostile', 'stalls'] as const;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        only: { type: 'string' },
        seed: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        'serve-arg': { type: 'string', multiple: true, default: [] },
        'kill-cycles': { type: 'string', default: '20' },
        writers: { type: 'string', default: '6' },
        'new-repos': { type: 'string', default: '2' },
        'tag-updates': { type: 'string', default: '1000' },
        'tag-concurrency': { type: 'string', default: '50' },
        'gc-pushers': { type: 'string', default: '16' },
        'gc-windows': { type: 'string', default: '6' },
        'gc-window-seconds': { type: 'string', default: '5' },
        hostile: { type: 'string', default: '100000' },
        'hostile-connections': { type: 'string', default: '32' },
        stalled: { type: 'string', default: '300' },
        idle: { type: 'string', default: '500' },
        probes: { type: 'string', default: '200' },
        hold: { type: 'string', default: '70' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const number = (flag: keyof typeof values): number => {
    const value = Number(values[flag]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${flag} needs a number, got ${String(values[flag])}`);
    return value;
  };
  const only = values.only === undefined ? [...SCENARIOS] : values.only.split(',');
  const unknown = only.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const seed = values.seed === undefined ? freshSeed() : number('seed');
  const common = {
    serveArgs: values['serve-arg'],
    ...(values.verbose ? { progress: (message: string) => process.stderr.write(`  … ${message}\n`) } : {}),
  };
  const runs: Record<(typeof SCENARIOS)[number], () => Promise<Outcome<unknown>>> = {
    kills: () => runKills({ ...common, seed, cycles: number('kill-cycles'), writers: number('writers'), newRepos: number('new-repos') }),
    tags: () => runTags({ ...common, seed, updates: number('tag-updates'), concurrency: number('tag-concurrency') }),
    gc: () => runGc({ ...common, seed, pushers: number('gc-pushers'), windows: number('gc-windows'), windowMs: number('gc-window-seconds') * 1000 }),
    hostile: () => runHostile({ ...common, seed, requests: number('hostile'), connections: number('hostile-connections') }),
    stalls: () => runStalls({ ...common, stalled: number('stalled'), idle: number('idle'), probes: number('probes'), holdSeconds: number('hold') }),
  };

  const started = performance.now();
  const missed: string[] = [];
  let broken = false;
  for (const name of only as Array<(typeof SCENARIOS)[number]>) {
    const scenarioStarted = performance.now();
    try {
      const outcome = await runs[name]();
      process.stdout.write(`${outcome.line} [${Math.round((performance.now() - scenarioStarted) / 1000)} s]\n`);
      for (const sample of outcome.samples.slice(0, 16)) process.stdout.write(`    ${sample}\n`);
      for (const g of outcome.goals) if (!g.met) missed.push(`${name}: ${g.target} (got ${g.got})`);
    } catch (error) {
      broken = true;
      process.stdout.write(`${name}: HARNESS ERROR: ${(error as Error).stack ?? String(error)}\n`);
    }
  }
  const took = Math.round((performance.now() - started) / 1000);
  if (missed.length > 0) process.stdout.write(`torture: ${missed.length} goals missed in ${took} s:\n${missed.map((m) => `  ${m}\n`).join('')}`);
  else if (!broken) process.stdout.write(`torture: every goal met in ${took} s\n`);
  return broken ? 2 : missed.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
  return 2;
});
