/**
 * The access-control faults (reference/faults/auth.ts) against the auth checks: the reference
 * registry with TLS, tokens and a policy (cli/secure-reference.ts), `touchstone check
 * --auth-checks --only auth`, once per fault. Each fault is detected by the check that states its
 * rule; the same run without a fault, with tokens and with htpasswd, reports nothing. `npm run
 * faults` runs the whole default profile the same way and writes the table in README.
 */
import t from 'tap';
import { AUTH_FAULTS, type AuthFaultName } from '../../reference/faults/auth.ts';
import { detectFault, type AuthMode, type Detection } from '../../scripts/fault-detection.ts';
import { assertNoHarnessErrors } from './detection.ts';

/** The check that must catch each fault. */
const CATCHES: Record<AuthFaultName, string> = {
  'auth-scope-any-repository': 'auth.token.other-repository',
  'auth-pull-can-push': 'auth.pull-only.push-blob',
  'auth-mount-ignores-source': 'auth.mount.source-not-pullable',
  'auth-expired-token-accepted': 'auth.token.expired',
  'auth-tampered-token-accepted': 'auth.token.tampered',
  'auth-challenge-without-scope': 'auth.challenge.scope',
  'auth-catalog-unfiltered': 'auth.discovery.catalog',
  'auth-wrong-password-accepted': 'auth.credentials.wrong-password',
};

type Run = { fault: AuthFaultName | 'none'; auth: AuthMode };
const runs: Run[] = [{ fault: 'none', auth: 'token' }, { fault: 'none', auth: 'htpasswd' }, ...(Object.keys(AUTH_FAULTS) as AuthFaultName[]).map((fault) => ({ fault, auth: 'token' as const }))];
const detections = new Map<Run, Detection>();
let next = 0;
await Promise.all(Array.from({ length: 3 }, async () => {
  while (next < runs.length) {
    const run = runs[next] as Run;
    next += 1;
    detections.set(run, await detectFault(run.fault, { auth: run.auth, args: ['--only', 'auth', '--no-properties'] }));
  }
}));

t.test('every auth fault has the check that catches it', async (t) => {
  t.same(Object.keys(CATCHES).sort(), Object.keys(AUTH_FAULTS).sort());
});

for (const run of runs) {
  const detection = detections.get(run) as Detection;
  t.test(`${run.fault} (${run.auth})`, async (t) => {
    assertNoHarnessErrors(t, detection);
    if (run.fault === 'none') {
      t.same(detection.scripted, [], `the registry with ${run.auth} and its policy: no auth check fails or warns`);
      return;
    }
    t.ok(detection.scripted.includes(CATCHES[run.fault]), `${run.fault} is caught by ${CATCHES[run.fault]} (found: ${detection.scripted.join(', ') || 'none'})`);
    // No fault takes a right away: the suite still authenticates, so the findings are the fault's own.
    t.notOk(detection.scripted.includes('auth.pull-only.pull'), 'the restricted identity still pulls its repository');
  });
}
