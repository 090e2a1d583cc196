/**
 * Faults as lessons. Every fault of the catalog (reference/faults/catalog.ts: a small deviation a
 * real registry shipped) can be switched on and off on the running registry (its FaultSet), and
 * the scripted checks that catch it (docs/fault-detection.json, made by `npm run faults`) can be
 * run in-process against the registry's own URL (conformance/run.ts). Each result comes back with
 * the check's spec citation, the spec sentences it quotes (citations.ts) and the exchanges it
 * made, the one that broke the rule marked; a fault only the property layer finds comes with the
 * command line that replays its counterexample.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FAULT_CATALOG, type FaultSet } from '../reference/faults/catalog.ts';
import type { RegistryConfig } from '../reference/http/context.ts';
import { ALL_CHECKS } from '../conformance/checks/index.ts';
import { defaultRunConfig } from '../conformance/config.ts';
import { newRunId, runSuite } from '../conformance/run.ts';
import { RegistryClient } from '../conformance/client/registry-client.ts';
import { touchstoneTrigger } from '../conformance/cli.ts';
import { requestPath, type Exchange } from '../conformance/client/exchange.ts';
import type { Result } from '../conformance/report/types.ts';
import type { SpecSentence } from '../spec/sentences.ts';
import { base64View, type BodyView } from './body-view.ts';
import { sentencesCitedBy } from './citations.ts';

/**
 * A fault the playground offers: one of the registry's catalog. The access-control faults
 * (reference/faults/auth.ts) are not among them: the playground's registry has no authentication
 * for them to act on.
 */
export type LessonFault = keyof typeof FAULT_CATALOG;

export function isLessonFault(name: string): name is LessonFault {
  return Object.hasOwn(FAULT_CATALOG, name);
}

const FAULT_DETECTION_FILE = resolve(import.meta.dirname, '../docs/fault-detection.json');

interface DetectionRow {
  readonly fault: string;
  readonly scripted: readonly string[];
  readonly property: readonly { readonly id: string; readonly replay: string }[];
}

export interface Lesson {
  readonly fault: LessonFault;
  readonly mirrors: string;
  readonly active: boolean;
  /** The scripted checks that catch it. */
  readonly checks: readonly string[];
  /** Found only by the property layer: how to replay its counterexample. */
  readonly property: readonly { readonly id: string; readonly replay: string }[];
}

export interface ExchangeView {
  readonly method: string;
  readonly path: string;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly requestBody: BodyView;
  readonly status: number;
  readonly responseHeaders: Readonly<Record<string, string>>;
  readonly responseBody: BodyView;
}

export interface LessonResult {
  readonly id: string;
  readonly title: string;
  readonly level: string;
  readonly status: string;
  readonly message: string;
  readonly spec: string;
  readonly sentences: readonly SpecSentence[];
  readonly exchanges: readonly ExchangeView[];
  /** Index in `exchanges` of the exchange that broke the rule. */
  readonly failing: number | undefined;
}

export interface LessonRun {
  readonly fault: LessonFault;
  readonly activeDuringRun: boolean;
  readonly durationMs: number;
  readonly results: readonly LessonResult[];
}

function exchangeView(exchange: Exchange): ExchangeView {
  return {
    method: exchange.method,
    path: requestPath(exchange.url),
    requestHeaders: exchange.requestHeaders,
    requestBody: base64View(exchange.requestBody?.base64, exchange.requestBody?.size ?? 0),
    status: exchange.status,
    responseHeaders: exchange.responseHeaders,
    responseBody: base64View(exchange.responseBody.base64, exchange.responseBody.size),
  };
}

function resultView(result: Result): LessonResult {
  return {
    id: result.id,
    title: result.title,
    level: result.level,
    status: result.status,
    message: result.message,
    spec: result.spec,
    sentences: sentencesCitedBy(result),
    exchanges: (result.exchanges ?? []).map(exchangeView),
    failing: result.failingExchange,
  };
}

export class Lessons {
  readonly #faults: FaultSet;
  readonly #url: string;
  readonly #config: RegistryConfig;
  readonly #detection: ReadonlyMap<string, DetectionRow>;
  #running: Promise<LessonRun> | undefined;

  private constructor(faults: FaultSet, url: string, config: RegistryConfig, detection: ReadonlyMap<string, DetectionRow>) {
    this.#faults = faults;
    this.#url = url;
    this.#config = config;
    this.#detection = detection;
  }

  static async load(faults: FaultSet, url: string, config: RegistryConfig, file = FAULT_DETECTION_FILE): Promise<Lessons> {
    const table = JSON.parse(await readFile(file, 'utf8')) as { rows: DetectionRow[] };
    return new Lessons(faults, url, config, new Map(table.rows.map((row) => [row.fault, row])));
  }

  list(): Lesson[] {
    return (Object.keys(FAULT_CATALOG) as LessonFault[]).map((fault) => {
      const row = this.#detection.get(fault);
      return { fault, mirrors: FAULT_CATALOG[fault], active: this.#faults.has(fault), checks: row?.scripted ?? [], property: row?.property ?? [] };
    });
  }

  /** Switches a fault on or off; false for a name that is not in the catalog. */
  set(fault: string, on: boolean): boolean {
    if (!isLessonFault(fault)) return false;
    this.#faults.set(fault, on);
    return true;
  }

  get busy(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Runs the checks that catch `fault`, with the faults as they are now, one run at a time.
   * Their repositories are under the namespace "lessons" and their manifests deleted afterwards.
   */
  async run(fault: LessonFault): Promise<LessonRun> {
    if (this.#running) throw new Error('a lesson is already running');
    this.#running = this.#run(fault);
    try {
      return await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  async #run(fault: LessonFault): Promise<LessonRun> {
    const wanted = new Set(this.#detection.get(fault)?.scripted ?? []);
    const checks = ALL_CHECKS.filter((check) => wanted.has(check.id));
    const client = new RegistryClient({ baseUrl: this.#url });
    const started = Date.now();
    const activeDuringRun = this.#faults.has(fault);
    try {
      const gc = { trigger: touchstoneTrigger(client), graceMs: this.#config.gc.graceMs, expectReclaims: true, reclaimsUntagged: this.#config.gc.deleteUntagged };
      const config = defaultRunConfig(this.#url, { namespace: 'lessons', runId: newRunId(), cleanup: true, gc });
      const report = checks.length === 0 ? undefined : await runSuite(config, { checks });
      return { fault, activeDuringRun, durationMs: Date.now() - started, results: (report?.results ?? []).map(resultView) };
    } finally {
      await client.close();
    }
  }
}
