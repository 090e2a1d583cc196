/**
 * Runs the conformance suite against the reference registry with one fault of the catalog
 * (reference/faults/catalog.ts) switched on and says whether, and how, the suite detected it: which
 * check ids failed or warned, in which layer (scripted or property), how long the run took to the
 * first detection, and for property detections how many executions it took and how short the
 * shrunk counterexample is. The default profile of `touchstone check` is used unchanged, GC
 * trigger included (the embedded registry's). With `auth` (the access-control faults,
 * reference/faults/auth.ts) the registry serves TLS and tokens or htpasswd with a policy
 * (cli/secure-reference.ts), and the run adds --auth-checks with the restricted identity.
 * Shared by `npm run faults` and the catalog tests.
 */
import { readFile } from 'node:fs/promises';
import { dir } from 'tmp-promise';
import { startEmbeddedReference, type EmbeddedSecurity } from '../cli/embedded.ts';
import { authOptions, makeSecureFiles, secureCheckArgs } from '../cli/secure-reference.ts';
import { parseCheckArgs } from '../conformance/cli.ts';
import { runSuite } from '../conformance/run.ts';
import type { RunConfig } from '../conformance/config.ts';
import type { Result } from '../conformance/report/types.ts';
import type { FaultName } from '../reference/faults/catalog.ts';

export interface PropertyDetection {
  readonly id: string;
  readonly steps: number;
  readonly executions: number;
  readonly foundAfterMs: number;
  readonly commands: readonly string[];
  readonly replay: string;
}

/** How the registry of an auth run authenticates. */
export type AuthMode = 'token' | 'htpasswd';

export interface Detection {
  readonly fault: FaultName | 'none';
  /** The registry served TLS and this authentication, and the run had --auth-checks. */
  readonly auth?: AuthMode;
  readonly detected: boolean;
  /** Scripted checks that failed or warned. */
  readonly scripted: readonly string[];
  /** Properties that found a counterexample. */
  readonly property: readonly PropertyDetection[];
  /** Harness errors: never a detection; a fault must not crash the suite. */
  readonly errors: readonly string[];
  /** From the start of the run to the end of the first detecting result. */
  readonly firstDetectionMs: number | undefined;
  readonly durationMs: number;
}

export interface DetectOptions {
  /** Extra `touchstone check` arguments (the default profile when empty). */
  readonly args?: readonly string[];
  /** Stop the property layer at its first counterexample (the catalog test; the table runs it all). */
  readonly failFast?: boolean;
  /** TLS, this authentication and a policy, and --auth-checks. */
  readonly auth?: AuthMode;
}

const detecting = (r: Result): boolean => r.status === 'fail' || r.status === 'warn';

export async function detectFault(fault: FaultName | 'none', options: DetectOptions = {}): Promise<Detection> {
  const files = options.auth === undefined ? undefined : await dir({ unsafeCleanup: true, prefix: 'touchstone-faults-auth-' });
  try {
    let security: EmbeddedSecurity | undefined;
    let authArgs: string[] = [];
    if (files !== undefined && options.auth !== undefined) {
      const secure = await makeSecureFiles(files.path);
      security = { tls: secure.tls, auth: authOptions(secure, options.auth), ca: await readFile(secure.caCert, 'utf8'), admin: { username: 'admin', password: secure.users.admin } };
      authArgs = secureCheckArgs(secure);
    }
    return await detect(fault, options, security, authArgs);
  } finally {
    await files?.cleanup();
  }
}

async function detect(fault: FaultName | 'none', options: DetectOptions, security: EmbeddedSecurity | undefined, authArgs: readonly string[]): Promise<Detection> {
  // The URL is the registry's (its scheme decides TLS); the embedded one replaces it below.
  const url = security === undefined ? [] : ['--url', 'https://127.0.0.1:1'];
  const parsed = parseCheckArgs([...url, ...authArgs, ...(options.args ?? []), ...(options.failFast ? ['--fail-fast'] : [])], {});
  if (parsed === 'help') throw new Error('unexpected --help');
  const target = await startEmbeddedReference(fault === 'none' ? [] : [fault], security);
  const started = Date.now();
  let firstDetectionMs: number | undefined;
  try {
    const config: RunConfig = { ...parsed.config, url: target.url, gc: target.gc };
    const report = await runSuite(config, {
      onResult: (result) => {
        if (firstDetectionMs !== undefined || !detecting(result)) return;
        // A property's detection happened when its first failing execution ended, before shrinking.
        firstDetectionMs = Date.now() - started - (result.counterexample ? result.ms - result.counterexample.foundAfterMs : 0);
      },
    });
    const found = report.results.filter(detecting);
    return {
      fault,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      detected: found.length > 0,
      scripted: found.filter((r) => r.layer === 'scripted').map((r) => r.id),
      property: found.filter((r) => r.counterexample).map((r) => {
        const example = r.counterexample as NonNullable<Result['counterexample']>;
        return { id: r.id, steps: example.commands.length, executions: example.executions, foundAfterMs: example.foundAfterMs, commands: example.commands, replay: example.replay };
      }),
      errors: report.results.filter((r) => r.status === 'error').map((r) => `${r.id}: ${r.message}`),
      firstDetectionMs,
      durationMs: Date.now() - started,
    };
  } finally {
    await target.close();
  }
}
