/**
 * The model-based property layer (fast-check): for each property (commands/index.ts), random
 * command sequences run against the registry with `fc.commands` and `fc.asyncModelRun`, each
 * execution in two fresh repositories, the registry probed against the model after every step.
 * On failure fast-check shrinks the sequence to a minimal one; that minimal sequence is then run
 * once more to record its HTTP exchanges, which become the curl reproduction. The result carries
 * the seed and path that replay exactly that run (`--seed N --path P`; P is fast-check's path,
 * "~", and the commands' replay path).
 *
 * A registry that breaks the model fails the property; a harness error (the registry could not be
 * reached, a bug of the suite) is an error, never a failure. Time: executions stop starting once
 * the property's share of the time budget is spent; shrinking gets its own allowance on top.
 * Progress goes to plain callbacks (`onProgress`): at the start, after every execution and every
 * second, so a terminal, a CI log, a bench or a page can show a run that takes tens of seconds.
 */
import fc from 'fast-check';
import { CheckFailure, HarnessError } from '../client/errors.ts';
import { curlScript } from '../client/curl.ts';
import type { RegistryClient } from '../client/registry-client.ts';
import type { Exchange } from '../client/exchange.ts';
import { disabledReason, type RunConfig } from '../config.ts';
import { keptExchanges, type Result } from '../report/types.ts';
import { poolSizes } from './arbitraries.ts';
import { commandsFor, PROPERTIES, type PropertyDefinition } from './commands/index.ts';
import { Model } from './model.ts';
import { makePool, type World } from './world.ts';

/** Runs of each shrink candidate before it counts as passing. */
const SHRINK_ATTEMPTS = 3;

/** Exchanges kept on a failing property result (the curl script has all of the minimal run). */
const EXCHANGES_KEPT = 60;

export interface PropertyHooks {
  /** Whether the property's id is selected (--only / --skip). */
  readonly selected: (id: string) => boolean;
  /** Told of each property's result as soon as it has one, in order. */
  readonly onResult: (result: Result) => void;
  /** Told how a running property is doing; never called for a skipped one. */
  readonly onProgress?: (progress: PropertyProgress) => void;
}

/** Where one property stands while it runs. */
export interface PropertyProgress {
  readonly property: string;
  /** Executions started so far, shrink candidates included. */
  readonly executions: number;
  /** Executions asked for (--runs). */
  readonly runs: number;
  readonly elapsedMs: number;
  /** The time this phase may take: the property's share of the budget, plus the shrink allowance once shrinking. */
  readonly budgetMs: number;
  /** 'shrinking' from the first failing execution on, while fast-check looks for a smaller counterexample. */
  readonly phase: 'running' | 'shrinking';
  /** Smaller failing sequences found so far. */
  readonly shrinkSteps: number;
}

/** How often progress is reported while nothing else happens (a long execution, a GC command). */
const PROGRESS_EVERY_MS = 1000;

interface Failure {
  readonly error: unknown;
  readonly trace: readonly string[];
  readonly exchanges: readonly Exchange[];
}

type Input = [number[], Iterable<fc.AsyncCommand<Model, World, boolean>>];

export function splitPath(path: string | undefined): { path: string | undefined; replayPath: string | undefined } {
  if (path === undefined) return { path: undefined, replayPath: undefined };
  const tilde = path.indexOf('~');
  return tilde === -1 ? { path, replayPath: undefined } : { path: path.slice(0, tilde), replayPath: path.slice(tilde + 1) };
}

function baseResult(property: PropertyDefinition): Omit<Result, 'status' | 'message' | 'ms'> {
  return { id: property.id, title: property.title, level: 'MUST', spec: property.spec, area: 'property', layer: 'property' };
}

function unmet(property: PropertyDefinition, config: RunConfig): string | undefined {
  const disabled = disabledReason(property.id, config);
  if (disabled !== undefined) return disabled;
  const missing = property.requires.filter((capability) => !config.capabilities[capability]);
  if (missing.length > 0) return `registry declared without: ${missing.join(', ')}`;
  if (property.needsGc && !config.gc.trigger) return 'no way to make the registry collect garbage (use --gc-command CMD)';
  return undefined;
}

export async function runProperties(config: RunConfig, client: RegistryClient, created: Set<string>, hooks: PropertyHooks): Promise<void> {
  const settings = config.property;
  if (!settings) return;
  const chosen = PROPERTIES.filter((p) => hooks.selected(p.id));
  const runnable = chosen.filter((p) => unmet(p, config) === undefined);
  const share = runnable.length === 0 ? 0 : settings.timeBudgetMs / runnable.length;
  let stopped = false;
  for (const property of chosen) {
    const reason = stopped ? 'not run: --fail-fast stopped the property layer at the first counterexample' : unmet(property, config);
    if (reason !== undefined) {
      hooks.onResult({ ...baseResult(property), status: 'skip', message: reason, ms: 0 });
      continue;
    }
    const result = await runProperty(property, config, client, created, share, hooks.onProgress);
    hooks.onResult(result);
    stopped = settings.stopAtFirstFailure && result.status !== 'pass';
  }
}

async function runProperty(property: PropertyDefinition, config: RunConfig, client: RegistryClient, created: Set<string>, shareMs: number, onProgress: PropertyHooks['onProgress']): Promise<Result> {
  const settings = config.property;
  if (!settings) throw new Error('runProperty without property settings');
  const started = Date.now();
  const deadline = started + shareMs;
  const { path, replayPath } = splitPath(settings.path);
  const seed = settings.seed ?? Math.floor(Math.random() * 0x7fffffff);
  let executions = 0;
  let steps = 0;
  let failureSeen = false;
  let shrinkSteps = 0;
  let found: { executions: number; afterMs: number } | undefined;
  let lastModel: Model | undefined;
  /** The steps of the latest failing execution: while shrinking, the shortest failure so far. */
  let failingTrace: readonly string[] = [];
  const suffix = property.id.replace('property.', '');
  const progress = (): void => onProgress?.({
    property: property.id,
    executions,
    runs: settings.runs,
    elapsedMs: Date.now() - started,
    budgetMs: failureSeen ? shareMs + settings.shrinkBudgetMs : shareMs,
    phase: failureSeen ? 'shrinking' : 'running',
    shrinkSteps,
  });

  /** One execution: fresh repositories, fresh pool, the commands against model and registry. */
  const executeOnce = async ([sizes, commands]: Input): Promise<Model> => {
    executions += 1;
    const tag = `${config.runId}-${suffix}-${executions}`;
    const repos = [`${config.namespace}/${tag}-a`, `${config.namespace}/${tag}-b`];
    for (const repo of repos) created.add(repo);
    const world: World = { client, config, salt: tag, repos, pool: makePool(tag, sizes) };
    const model = new Model(repos);
    lastModel = model;
    try {
      await fc.asyncModelRun(() => ({ model, real: world }), commands);
    } finally {
      steps += model.step;
    }
    return model;
  };

  /**
   * The execution running or last run, settled or not. fast-check's time limit stops waiting for
   * an execution but cannot stop it: it is awaited before the rerun or the next property, or the
   * two would overlap (a --gc-command that stops and restarts the registry makes that fail).
   */
  let running: Promise<unknown> = Promise.resolve();

  const execute = (input: Input): Promise<Model> => {
    const execution = executeOnce(input);
    running = execution.catch(() => undefined);
    return execution;
  };

  const commandArbitrary = fc.commands(commandsFor(property, config), { maxCommands: settings.maxCommands, size: 'medium', ...(replayPath !== undefined ? { replayPath } : {}) });
  // Commands first: fast-check shrinks a tuple's first value first, so the sequence shrinks while
  // the pool still has the sizes that made it fail (shrunk first, a pool of empty blobs would make
  // most steps no-ops and strand the sequence long).
  const predicate = fc.asyncProperty(commandArbitrary, poolSizes, async (commands, sizes) => {
    // Past the budget, executions still to come pass without running; shrinking always runs.
    if (!failureSeen && path === undefined && Date.now() > deadline) return;
    // While shrinking, a candidate that passes is run again: a race does not lose every time, and
    // a shrinker fooled by one lucky run stops at a sequence far from minimal.
    const attempts = failureSeen ? SHRINK_ATTEMPTS : 1;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      try {
        await execute([sizes, commands]);
        progress();
      } catch (error) {
        if (!failureSeen) found = { executions, afterMs: Date.now() - started };
        else shrinkSteps += 1;
        failureSeen = true;
        failingTrace = [...(lastModel?.trace ?? [])];
        progress();
        throw error;
      }
    }
  });
  const details = await ticking(progress, () => fc.check(predicate, {
    seed,
    numRuns: settings.runs,
    ...(path !== undefined ? { path, endOnFailure: true } : {}),
    interruptAfterTimeLimit: shareMs + settings.shrinkBudgetMs,
  }));
  await running;
  const ms = Date.now() - started;
  if (!details.failed || !details.counterexample) {
    const stopped = details.interrupted ? ' (stopped at the time budget)' : '';
    return { ...baseResult(property), status: 'pass', message: `${executions} executions, ${steps} steps, seed ${seed}${stopped}`, ms };
  }

  const [commands, sizes] = details.counterexample;
  const replayOf = /replayPath="([^"]*)"/.exec(String(commands))?.[1];
  const fullPath = `${details.counterexamplePath ?? ''}${replayOf ? `~${replayOf}` : ''}`;
  const failure = await ticking(progress, () => rerun(client, () => execute([sizes, commands]), () => lastModel?.trace ?? []));
  const error = failure?.error ?? details.errorInstance;
  const message = error instanceof Error ? error.message : String(error);
  const replay = `${settings.commandLine} --only ${property.id} --seed ${details.seed} --path '${fullPath}'`;
  const exchanges = failure?.exchanges ?? [];
  const trace = failure?.trace ?? failingTrace;
  const title = `${property.id}: minimal counterexample (${trace.length} steps), seed ${details.seed}, path ${fullPath}`;
  return {
    ...baseResult(property),
    status: error instanceof HarnessError ? 'error' : 'fail',
    message: `${failure ? '' : `(the minimal sequence passed ${RERUNS} times when run again: the failure is intermittent) `}${message}`,
    ms,
    ...keptExchanges(exchanges, EXCHANGES_KEPT, error instanceof CheckFailure ? error.exchange : undefined),
    counterexample: {
      seed: details.seed,
      path: fullPath,
      commands: trace,
      curl: curlScript(exchanges, config.url, title, { runId: config.runId }),
      replay,
      executions: found?.executions ?? executions,
      foundAfterMs: found?.afterMs ?? ms,
    },
  };
}

/** Runs `work`, calling `tick` at its start and every PROGRESS_EVERY_MS until it ends. */
async function ticking<T>(tick: () => void, work: () => Promise<T>): Promise<T> {
  tick();
  const ticker = setInterval(tick, PROGRESS_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(ticker);
  }
}

/** Runs of the minimal sequence tried to see it fail again (a race may not fail every time). */
const RERUNS = 3;

/**
 * Runs the minimal counterexample again, recording its exchanges — its own only, not those of
 * requests an earlier execution left in flight — up to its failure; undefined if it never failed.
 */
async function rerun(client: RegistryClient, execute: () => Promise<Model>, trace: () => readonly string[]): Promise<Failure | undefined> {
  for (let attempt = 0; attempt < RERUNS; attempt += 1) {
    const exchanges: Exchange[] = [];
    try {
      await client.recording(exchanges, execute);
    } catch (error) {
      return { error, trace: [...trace()], exchanges: [...exchanges] };
    }
  }
  return undefined;
}
