/** The API version check (spec "Determining support", end-1). */
import { expectStatus } from '../client/expect.ts';
import { defineChecks } from './types.ts';

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
]);
