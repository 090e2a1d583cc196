/**
 * The registries a mutant's command (mutants/check.ts) runs the suite against, one pass each, all
 * the reference registry embedded in that process (so all of them the sandbox's mutated copy), each
 * started when a mutant first reaches its checks:
 *
 *   main       the default profile (mutants/profile.ts) against the registry `npm start` checks;
 *   secure     TLS and bearer tokens with an access policy (cli/secure-reference.ts), and the auth
 *              checks with a restricted identity (--auth-checks), as `npm run faults` runs them:
 *              the only pass that meets UNAUTHORIZED, DENIED and the token service's errors;
 *   no-tag-delete  tag deletes disabled (`touchstone serve --no-tag-deletes`): the checks that
 *              hold a disabled tag delete to end-9 ("MUST respond with either a 400 Bad Request or a
 *              405 Method Not Allowed") and to the code UNSUPPORTED meet that answer;
 *   race       the race checks (gc.race.*, --race-checks) against a registry of their own, as a
 *              registry author runs them in CI: each collection there covers only what they push.
 *              It keeps a cache of only 64 descriptors of manifest summaries, so a referrers listing
 *              over hundreds of manifests reads them from disk, as a registry whose cache is cold
 *              does, and gc.race.referrers-during-collection meets those a collection deletes.
 *              Run last in the main pass, every collection would cover the hundreds of repositories
 *              the other checks left, and a race lasting a few seconds would miss its moment;
 *   slow-delete    gc.race.push-during-deletes against a registry whose deletes each take 20 ms
 *              (mutants/slow-deletes.ts), as on object storage or a busy disk: there a push can land
 *              while the collection deletes its layer, which on a fast disk lasts microseconds.
 *   short-write    the upload checks (blobs.upload.*) against a registry whose writes each take at
 *              most half of what they are given (mutants/short-writes.ts), as POSIX allows and a
 *              disk near full or a network file system does: the only pass where a blob writer must
 *              go on after a short write and hash only what was written.
 *
 * The secure pass's files (a CA, certificates, a signing key, an htpasswd file and a policy) are
 * made once per file run in the state directory and reused by every mutant.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmbeddedTarget } from '../conformance/cli.ts';
import type { Check } from '../conformance/checks/types.ts';
import { startEmbeddedReference } from '../cli/embedded.ts';
import { authOptions, makeSecureFiles, secureCheckArgs, type SecureFiles } from '../cli/secure-reference.ts';
import { PROFILE } from './profile.ts';
import { shortWrites } from './short-writes.ts';
import { slowDeletes } from './slow-deletes.ts';

/** The checks that judge the answer to a disabled tag delete (the others would call it a failure). */
export const DISABLED_TAG_DELETE_CHECKS = ['deletes.tag.status', 'deletes.tag.disabled-code', 'validation.errors.every-answer'];

/** The checks of the race pass. */
export const RACE_CHECKS = 'gc.race.';

/** Manifest summaries the race pass's registry keeps, in descriptors: a few dozen manifests' worth. */
export const RACE_SUMMARY_DESCRIPTORS = 64;

/** The check of the slow-delete pass. */
export const SLOW_DELETE_CHECK = 'gc.race.push-during-deletes';

/** The checks of the short-write pass. */
export const SHORT_WRITE_CHECKS = 'blobs.upload.';

export interface Pass {
  readonly name: 'main' | 'secure' | 'no-tag-delete' | 'race' | 'slow-delete' | 'short-write';
  /** `touchstone check` arguments (the URL is the embedded registry's). */
  readonly args: readonly string[];
  /** Its registry, started on first use. */
  readonly target: () => Promise<EmbeddedTarget>;
  /** The checks of this pass; the property layer runs in the main pass only. */
  select(check: Check): boolean;
}

/** The id a result of `pass` has in the baseline and in the per-check coverage: the check's own in the main pass. */
export function partId(pass: Pass['name'], checkId: string): string {
  return pass === 'main' ? checkId : `${pass}:${checkId}`;
}

/** Makes the secure pass's files in `dir` on first use, then reads them back. */
async function secureFiles(dir: string): Promise<SecureFiles> {
  const record = join(dir, 'secure.json');
  if (existsSync(record)) return JSON.parse(await readFile(record, 'utf8')) as SecureFiles;
  await mkdir(dir, { recursive: true });
  const files = await makeSecureFiles(dir);
  await writeFile(record, JSON.stringify(files));
  return files;
}

/** `start` on first call, its promise after: a pass's registry starts only when a mutant reaches its checks. */
function once(start: () => Promise<EmbeddedTarget>): () => Promise<EmbeddedTarget> {
  let started: Promise<EmbeddedTarget> | undefined;
  return () => (started ??= start());
}

export async function passes(stateDir: string): Promise<Pass[]> {
  const files = await secureFiles(join(stateDir, 'secure'));
  return [
    { name: 'main', args: PROFILE, target: once(() => startEmbeddedReference()), select: (check) => !check.id.startsWith(RACE_CHECKS) },
    {
      name: 'secure',
      // The URL's scheme decides TLS; the embedded registry's address replaces it.
      args: [...PROFILE, '--url', 'https://127.0.0.1:1', ...secureCheckArgs(files), '--no-properties'],
      target: once(async () =>
        startEmbeddedReference([], {
          tls: files.tls,
          auth: authOptions(files, 'token'),
          ca: await readFile(files.caCert, 'utf8'),
          admin: { username: 'admin', password: files.users.admin },
        }),
      ),
      select: (check) => check.needsAuth === true || check.id === 'validation.errors.every-answer',
    },
    {
      name: 'no-tag-delete',
      args: [...PROFILE, '--no-properties'],
      target: once(() => startEmbeddedReference([], undefined, { deletes: { manifests: true, tags: false, blobs: true } })),
      select: (check) => DISABLED_TAG_DELETE_CHECKS.includes(check.id),
    },
    {
      name: 'race',
      args: [...PROFILE, '--no-properties'],
      target: once(() => startEmbeddedReference([], undefined, { summaryDescriptors: RACE_SUMMARY_DESCRIPTORS })),
      select: (check) => check.id.startsWith(RACE_CHECKS),
    },
    {
      name: 'slow-delete',
      args: [...PROFILE, '--no-properties'],
      target: once(() => startEmbeddedReference([], undefined, { onStore: slowDeletes })),
      select: (check) => check.id === SLOW_DELETE_CHECK,
    },
    {
      name: 'short-write',
      args: [...PROFILE, '--no-properties'],
      target: once(() => startEmbeddedReference([], undefined, { onStore: shortWrites })),
      select: (check) => check.id.startsWith(SHORT_WRITE_CHECKS),
    },
  ];
}
