/**
 * The API version check (spec "Determining support", end-1), and the legacy version header a
 * registry MAY send there (spec "Legacy Docker support HTTP headers"): when present, its value is
 * the one the Docker Registry HTTP API V2 defines (apdx-1); when absent, the check is skipped.
 */
import { ensure, expectStatus } from '../client/expect.ts';
import { defineChecks } from './types.ts';

/** The value the Docker Registry HTTP API V2 (apdx-1) gives `Docker-Distribution-API-Version`. */
const API_VERSION = 'registry/2.0';

export default defineChecks([
  {
    id: 'base.v2',
    title: 'GET /v2/ answers 200',
    spec: '§Determining support (end-1)',
    level: 'MUST',
    readOnly: true,
    async run(ctx) {
      expectStatus(await ctx.request('GET', '/v2/'), [200], 'GET /v2/');
    },
  },
  {
    id: 'base.api-version-header',
    title: `GET /v2/ with Docker-Distribution-API-Version, when sent, says ${API_VERSION}`,
    spec: '§Legacy Docker support HTTP headers ("the client MAY encounter Docker-specific headers, such as Docker-Distribution-API-Version … these headers are OPTIONAL"); apdx-1 (Docker Registry HTTP API V2: "Docker-Distribution-API-Version: registry/2.0")',
    level: 'MAY',
    readOnly: true,
    async run(ctx) {
      const reply = await ctx.request('GET', '/v2/');
      expectStatus(reply, [200], 'GET /v2/');
      const version = reply.header('docker-distribution-api-version');
      if (version === undefined) return ctx.skip('GET /v2/ answers without Docker-Distribution-API-Version (OPTIONAL)');
      ensure(version.split(/\s+/).includes(API_VERSION), `GET /v2/: Docker-Distribution-API-Version ${JSON.stringify(version)}, expected ${API_VERSION}`, reply);
    },
  },
]);
