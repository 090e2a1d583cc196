/**
 * Edge-biased generators for the property layer. Blob sizes favour the cases registries get
 * wrong — the empty blob, one byte, sizes around common chunk sizes — over arbitrary ones; chunk
 * sizes favour 1 byte and powers of two; tags favour names whose byte order and case-insensitive
 * order differ, separators, and the longest legal tag (128 characters, spec "Pulling manifests").
 * Indices into pools and model lists are plain naturals, resolved when a command runs.
 */
import fc from 'fast-check';

/** Blob sizes: edges first (0, 1, chunk boundaries), then anything up to 20 kB. */
export const blobSize: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 511, 512, 513, 1023, 1024, 1025, 4096) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
);

/** The blob pool of one execution: 2 to 5 sizes. */
export const poolSizes: fc.Arbitrary<number[]> = fc.array(blobSize, { minLength: 2, maxLength: 5 });

/** Chunk sizes for chunked uploads: 1 byte, powers of two, then anything up to 8 kB. */
export const chunkSize: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(1, 2, 3, 512, 1024, 4096) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 8192 }) },
);

/** Tags whose orderings differ (B < a in bytes, a < B ignoring case), separators, and 128 characters. */
export const EDGE_TAGS: readonly string[] = ['latest', 'v1', 'V1', 'a', 'B', 'b', '_x', '0', 'x.y', 'x-y', 'x_y', 'Z9', 'a'.repeat(127) + 'z'];

export const tag: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_TAGS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,11}$/) },
);

/** 2 to 4 distinct tags. */
export const distinctTags: fc.Arbitrary<string[]> = fc.uniqueArray(tag, { minLength: 2, maxLength: 4 });

export const repoIndex: fc.Arbitrary<number> = fc.nat(1);

/** An index into whatever list the command resolves when it runs. */
export const position: fc.Arbitrary<number> = fc.nat(1000);

export const ARTIFACT_TYPES: readonly string[] = ['application/vnd.example.signature.v1', 'application/vnd.example.sbom.v1', 'application/vnd.example.attestation.v1'];
export const artifactType: fc.Arbitrary<string> = fc.constantFrom(...ARTIFACT_TYPES);

export const annotations: fc.Arbitrary<Record<string, string> | undefined> = fc.option(
  fc.dictionary(fc.constantFrom('org.example.kind', 'org.opencontainers.image.created', 'org.example.note'), fc.constantFrom('a', 'b', '2026-01-01T00:00:00Z', 'ünïcødé'), { minKeys: 1, maxKeys: 2 }),
  { nil: undefined },
);

/** A manifest reference: a tag, or (one time in three) undefined for a push by digest. */
export const reference: fc.Arbitrary<string | undefined> = fc.option(tag, { nil: undefined, freq: 3 });

/** true about one time in six: for probes and detours that would slow every step. */
export const rarely: fc.Arbitrary<boolean> = fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
