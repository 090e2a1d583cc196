/**
 * A benchmark run's settings, their defaults and bounds, and sizes written the way people write
 * them ("1MiB", "512KiB", "1GiB", plain bytes). Every loop the run makes is bounded by them: a cell
 * (workload × blob size × concurrency × registry) stops starting operations at `count` operations,
 * at `durationMs`, or once its operations would move more than `cellVolume` bytes.
 */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export interface Settings {
  readonly workloads: readonly string[];
  readonly sizes: readonly number[];
  readonly concurrency: readonly number[];
  readonly durationMs: number;
  readonly count: number;
  readonly cellVolume: number;
  /** Chunk size of the chunked push (raised to the registry's OCI-Chunk-Min-Length). */
  readonly chunkSize: number;
  /** Percentage of pushes in the mixed workload (the rest are pulls). */
  readonly writePercent: number;
  readonly tags: number;
  readonly pageSize: number;
  readonly referrers: number;
  readonly repeat: number;
  readonly seed: number;
  readonly namespace: string;
  readonly compare: boolean;
}

export const DEFAULTS = {
  sizes: [MiB, 16 * MiB, 128 * MiB],
  concurrency: [1, 8, 32],
  durationMs: 500,
  count: 1_000,
  cellVolume: 512 * MiB,
  chunkSize: 4 * MiB,
  writePercent: 25,
  tags: 1_000,
  pageSize: 100,
  referrers: 50,
  namespace: 'touchstone-bench',
  /** Without --yes, a run that may push more than this to one registry is refused. */
  confirmAbove: GiB,
} as const;

/** Hard bounds, whatever the flags say. */
export const LIMITS = { concurrency: 256, count: 1_000_000, durationMs: 3_600_000, repeat: 100, size: 64 * GiB } as const;

const UNITS: Record<string, number> = { '': 1, b: 1, k: KiB, kb: 1000, kib: KiB, m: MiB, mb: 1000 ** 2, mib: MiB, g: GiB, gb: 1000 ** 3, gib: GiB };

/** "16MiB" → 16777216; undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** 16777216 → "16 MiB"; 1500 → "1.5 KiB"; 100 → "100 B". */
export function formatSize(bytes: number): string {
  for (const [unit, scale] of [['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (bytes >= scale) return `${Number((bytes / scale).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}

/** Operations a cell may start: the count, and no more than its volume allows (at least one). */
export function opsCap(settings: Pick<Settings, 'count' | 'cellVolume'>, size: number | undefined): number {
  if (size === undefined || size === 0) return settings.count;
  return Math.max(1, Math.min(settings.count, Math.floor(settings.cellVolume / size)));
}
