/**
 * HTTP faults: one rule per fault of the catalog that a client sees in the exchange itself,
 * wrapped around the registry's request listener. A rule can rewrite the request before the
 * registry sees it (or answer it itself), rewrite a held answer (JSON and empty answers, every
 * error), or rewrite a streamed blob answer's head and bytes. A request no active rule concerns
 * goes to the registry untouched.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { classify, type Classified, type Resource } from '../http/router.ts';
import { sendError } from '../http/respond.ts';
import { parseDigest } from '../store/digest.ts';
import { tagOf } from '../store/manifests.ts';
import type { ImageStore } from '../store/image-store.ts';
import type { FaultName, FaultSet } from './catalog.ts';
import { intercept, withJson, type Answer } from './intercept.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

interface Request {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Undefined when the target names no endpoint (the registry answers 404 or 400). */
  readonly found: Classified | undefined;
  readonly store: ImageStore;
  /** Per-request state a rule keeps between its request and answer hooks. */
  readonly notes: Map<string, string>;
}

interface Stream {
  readonly head?: (status: number, headers: OutgoingHttpHeaders) => { status: number; headers: OutgoingHttpHeaders };
  readonly chunk?: (chunk: Buffer) => Buffer;
}

interface Rule {
  /** The resources and methods the rule concerns; 'any' includes requests for no endpoint. */
  readonly on: { readonly resources: readonly Resource[]; readonly methods: readonly string[] } | 'any';
  /** Before the registry; true when the rule answered the request itself. */
  readonly request?: (r: Request) => Promise<boolean | void>;
  readonly answer?: (answer: Answer, r: Request) => Answer | Promise<Answer>;
  /** Blob bodies (200/206 on a blob route): a head and chunk rewrite made for this request. */
  readonly stream?: (r: Request) => Stream;
}

const MANIFEST_READ = { resources: ['manifest'], methods: ['GET', 'HEAD'] } as const;
const TAGS = { resources: ['tags'], methods: ['GET'] } as const;
const BLOB_READ = { resources: ['blob'], methods: ['GET', 'HEAD'] } as const;
const REFERRERS = { resources: ['referrers'], methods: ['GET'] } as const;
const UPLOADS = { resources: ['uploads', 'upload'], methods: ['POST', 'PATCH', 'PUT', 'GET'] } as const;

const ok = (answer: Answer): boolean => answer.status >= 200 && answer.status < 300;

/** The held answer's JSON body; undefined for an empty body (a HEAD) or one that is not JSON. */
function jsonOf<T>(answer: Answer): T | undefined {
  try {
    return answer.body.length === 0 ? undefined : (JSON.parse(answer.body.toString('utf8')) as T);
  } catch {
    return undefined;
  }
}

/** Sets (or, with undefined, deletes) one query parameter of the request the registry will see. */
function setQuery(r: Request, name: string, value: string | undefined): void {
  const url = new URL(r.req.url ?? '/', 'http://registry.invalid');
  if (value === undefined) url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  r.req.url = `${url.pathname}${url.search}`;
}

async function tagsOf(r: Request): Promise<string[]> {
  return r.found ? r.store.manifests.tags(r.found.name).catch(() => []) : [];
}

const RULES: Readonly<Partial<Record<FaultName, Rule>>> = {
  'invalid-digest-500': {
    on: MANIFEST_READ,
    request: async (r) => {
      if (!r.found?.ref.includes(':')) return false;
      try {
        parseDigest(r.found.ref);
        return false;
      } catch {
        sendError(r.res, new Error(`unparsable digest ${r.found.ref}`));
        return true;
      }
    },
  },
  'manifest-reformatted': {
    on: MANIFEST_READ,
    answer: async (answer, r) => {
      if (answer.status !== 200 || !r.found) return answer;
      const original = r.req.method === 'HEAD' ? (await r.store.manifests.get(r.found.name, r.found.ref)).body : answer.body;
      const body = Buffer.from(JSON.stringify(JSON.parse(original.toString('utf8')), null, 3));
      return { ...answer, headers: { ...answer.headers, 'content-length': body.length }, body: r.req.method === 'HEAD' ? answer.body : body };
    },
  },
  'manifest-content-type-wrong': {
    on: MANIFEST_READ,
    answer: (answer) => (answer.status === 200 ? { ...answer, headers: { ...answer.headers, 'content-type': 'application/json' } } : answer),
  },
  'manifest-digest-header-missing': {
    on: MANIFEST_READ,
    answer: (answer) => {
      const { 'docker-content-digest': _digest, ...headers } = answer.headers;
      return answer.status === 200 ? { ...answer, headers } : answer;
    },
  },
  'subject-header-missing': {
    on: { resources: ['manifest'], methods: ['PUT'] },
    answer: (answer) => {
      const { 'oci-subject': _subject, ...headers } = answer.headers;
      return { ...answer, headers };
    },
  },
  'tags-n-ignored': { on: TAGS, request: async (r) => setQuery(r, 'n', undefined) },
  'tags-last-inclusive': {
    on: TAGS,
    request: async (r) => {
      const last = new URL(r.req.url ?? '/', 'http://registry.invalid').searchParams.get('last');
      const tags = await tagsOf(r);
      if (last !== null && tags.includes(last)) setQuery(r, 'last', tags.filter((tag) => tag < last).at(-1));
    },
  },
  'tags-paging-skips': {
    on: TAGS,
    request: async (r) => {
      const last = new URL(r.req.url ?? '/', 'http://registry.invalid').searchParams.get('last');
      const next = last === null ? undefined : (await tagsOf(r)).find((tag) => tag > last);
      if (next !== undefined) setQuery(r, 'last', next);
    },
  },
  'tags-paging-repeats': {
    on: TAGS,
    answer: (answer) => {
      const link = answer.headers.link;
      const tags = jsonOf<{ tags?: string[] }>(answer)?.tags ?? [];
      if (typeof link !== 'string' || tags.length < 2) return answer;
      return { ...answer, headers: { ...answer.headers, link: link.replace(/last=[^&>]*/, `last=${encodeURIComponent(tags.at(-2) as string)}`) } };
    },
  },
  'tags-unsorted': {
    on: TAGS,
    // The whole listing again, in index.json order instead of lexical order.
    answer: async (answer, r) => {
      const index = r.found && ok(answer) ? await r.store.layout.readIndex(r.found.name) : undefined;
      if (!index || !r.found) return answer;
      const query = r.found.url.searchParams;
      const last = query.get('last');
      const n = query.get('n') === null ? undefined : Number(query.get('n'));
      const all = [...new Set(index.manifests.map(tagOf).filter((tag) => tag !== undefined))];
      const after = last === null ? all : all.filter((tag) => tag > last);
      const page = n === undefined ? after : after.slice(0, n);
      const { link: _link, ...headers } = answer.headers;
      const more = n !== undefined && page.length > 0 && after.length > page.length;
      const next = more ? { link: `</v2/${r.found.name}/tags/list?n=${n}&last=${encodeURIComponent(page.at(-1) as string)}>; rel="next"` } : {};
      return withJson({ ...answer, headers: { ...headers, ...next } }, { name: r.found.name, tags: page });
    },
  },
  'blob-digest-header-wrong': {
    on: BLOB_READ,
    stream: () => ({
      head: (status, headers) => {
        const digest = String(headers['docker-content-digest'] ?? '');
        return { status, headers: { ...headers, 'docker-content-digest': `${digest.slice(0, -1)}${digest.endsWith('0') ? '1' : '0'}` } };
      },
    }),
  },
  'blob-body-corrupted': {
    on: BLOB_READ,
    stream: () => {
      let flipped = false;
      return {
        chunk: (chunk) => {
          if (flipped || chunk.length === 0) return chunk;
          flipped = true;
          const copy = Buffer.from(chunk);
          copy[0] = (copy[0] ?? 0) ^ 0xff;
          return copy;
        },
      };
    },
  },
  'blob-body-truncated': {
    on: BLOB_READ,
    stream: () => {
      let remaining = Infinity;
      return {
        head: (status, headers) => {
          const length = Number(headers['content-length'] ?? 0);
          if (status !== 200 || length === 0) return { status, headers };
          remaining = length - 1;
          return { status, headers: { ...headers, 'content-length': remaining } };
        },
        chunk: (chunk) => {
          const kept = chunk.subarray(0, Math.max(0, Math.min(chunk.length, remaining)));
          remaining -= kept.length;
          return kept;
        },
      };
    },
  },
  'range-off-by-one': {
    on: BLOB_READ,
    request: async (r) => {
      const match = /^bytes=(\d*)-(\d*)$/.exec(r.req.headers.range?.trim() ?? '');
      if (!match) return;
      const [first = '', last = ''] = [match[1], match[2]];
      if (first === '' && Number(last) > 1) r.req.headers.range = `bytes=-${Number(last) - 1}`;
      else if (first !== '' && last === '') r.req.headers.range = `bytes=${Number(first) + 1}-`;
      else if (first !== '' && Number(first) < Number(last)) r.req.headers.range = `bytes=${Number(first) + 1}-${last}`;
    },
  },
  'upload-range-off-by-one': {
    on: UPLOADS,
    answer: async (answer, r) => {
      const end = /^0-(\d+)$/.exec(String(answer.headers.range ?? ''))?.[1];
      if (end === undefined || !r.found) return answer;
      // Range: 0-<size> instead of 0-<size - 1>; a session of 0 or 1 byte both read 0-0 when right.
      const id = String(answer.headers['docker-upload-uuid'] ?? '');
      const size = end === '0' ? await r.store.uploads.size(r.found.name, id).catch(() => 0) : Number(end) + 1;
      return { ...answer, headers: { ...answer.headers, range: `0-${size}` } };
    },
  },
  'referrers-filter-ignored': {
    on: REFERRERS,
    request: async (r) => {
      const type = r.found?.url.searchParams.get('artifactType');
      if (type === null || type === undefined) return;
      r.notes.set('artifactType', type);
      setQuery(r, 'artifactType', undefined);
    },
    answer: (answer, r) => (r.notes.has('artifactType') && ok(answer) ? { ...answer, headers: { ...answer.headers, 'oci-filters-applied': 'artifactType' } } : answer),
  },
  'referrers-404-when-empty': {
    on: REFERRERS,
    answer: (answer, r) => {
      const index = ok(answer) ? jsonOf<{ manifests?: unknown[] }>(answer) : undefined;
      if (index?.manifests?.length !== 0) return answer;
      const envelope = { errors: [{ code: 'MANIFEST_UNKNOWN', message: `no referrers of ${r.found?.ref}`, detail: {} }] };
      return withJson({ status: 404, headers: { 'content-type': 'application/json' }, body: Buffer.alloc(0) }, envelope);
    },
  },
  'error-codes-nonstandard': {
    on: 'any',
    answer: (answer) => {
      const envelope = answer.status >= 400 ? jsonOf<{ errors?: { code: string }[] }>(answer) : undefined;
      if (!envelope) return answer;
      const code = answer.status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST';
      return withJson(answer, { ...envelope, errors: envelope.errors?.map((e) => ({ ...e, code })) });
    },
  },
};

function concerns(rule: Rule, r: Request): boolean {
  if (rule.on === 'any') return true;
  return r.found !== undefined && rule.on.resources.includes(r.found.resource) && rule.on.methods.includes(r.req.method ?? '');
}

export function withHttpFaults(listener: Listener, store: ImageStore, faults: FaultSet): Listener {
  return (req, res) => {
    handle(req, res).catch((error: unknown) => sendError(res, error));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let found: Classified | undefined;
    try {
      found = classify(req.method ?? '', req.url ?? '/');
    } catch {
      found = undefined; // the registry answers 400 for a target it cannot parse
    }
    const r: Request = { req, res, found, store, notes: new Map() };
    const rules = (Object.entries(RULES) as [FaultName, Rule][]).filter(([name, rule]) => faults.has(name) && concerns(rule, r)).map(([, rule]) => rule);
    if (rules.length === 0) {
      listener(req, res);
      return;
    }
    for (const rule of rules) if (await rule.request?.(r)) return;
    const streams = rules.flatMap((rule) => (rule.stream ? [rule.stream(r)] : []));
    intercept(res, {
      answer: async (answer) => {
        let out = answer;
        for (const rule of rules) if (rule.answer) out = await rule.answer(out, r);
        return out;
      },
      streams: (status) => found?.resource === 'blob' && (status === 200 || status === 206),
      head: (status, headers) => streams.reduce((out, s) => (s.head ? s.head(out.status, out.headers) : out), { status, headers }),
      chunk: (chunk) => streams.reduce((out, s) => (s.chunk ? s.chunk(out) : out), chunk),
    });
    listener(req, res);
  }
}
