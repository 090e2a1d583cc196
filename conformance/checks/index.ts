/** Every scripted check, area by area, in the order they run. */
import base from './base.ts';
import existing from './existing.ts';
import uploads from './uploads.ts';
import uploadsResume from './uploads-resume.ts';
import uploadFraming from './upload-framing.ts';
import uploadIntegrity from './upload-integrity.ts';
import blobs from './blobs.ts';
import mounts from './mounts.ts';
import manifests from './manifests.ts';
import manifestSize from './manifest-size.ts';
import limits from './limits.ts';
import kinds from './kinds.ts';
import referrers from './referrers.ts';
import tags from './tags.ts';
import catalog from './catalog.ts';
import deletes from './deletes.ts';
import validation from './validation.ts';
import addressing from './addressing.ts';
import contentTypes from './content-types.ts';
import errorEnvelope from './error-envelope.ts';
import persistence from './persistence.ts';
import gc from './gc.ts';
import gcTiming from './gc-timing.ts';
import gcRaces from './gc-races.ts';
import gcRaceArrivals from './gc-race-arrivals.ts';
import gcRaceReads from './gc-race-reads.ts';
import gcRaceReferrers from './gc-race-referrers.ts';
import gcRaceDeletes from './gc-race-deletes.ts';
import { AUTH_CHECKS, EXPIRY_CHECK } from './auth.ts';
import type { Check } from './types.ts';

/** The auth checks come early, so that the expiry check, last, finds its token as old as the run. */
export const ALL_CHECKS: readonly Check[] = [...base, ...AUTH_CHECKS, ...existing, ...uploads, ...uploadsResume, ...uploadFraming, ...uploadIntegrity, ...blobs, ...mounts, ...manifests, ...manifestSize, ...limits, ...kinds, ...referrers, ...tags, ...catalog, ...deletes, ...validation, ...addressing, ...contentTypes, ...errorEnvelope, ...persistence, ...gc, ...gcTiming, ...gcRaces, ...gcRaceArrivals, ...gcRaceReads, ...gcRaceReferrers, ...gcRaceDeletes, EXPIRY_CHECK];
