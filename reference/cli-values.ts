/** Flag values of the reference registry's command line: seconds, whole numbers, byte sizes. */

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A number of seconds (fractions allowed) as milliseconds; at least `min` seconds. */
export function seconds(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < min) throw new UsageError(`${flag} needs a number of seconds${min > 0 ? ' above 0' : ''}, got ${value}`);
  return number * 1000;
}

export function whole(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`${flag} needs a whole number of at least ${min}, got ${value}`);
  return Number(value);
}

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** A byte size: 1048576, 512KiB, 64MiB, 32GiB (binary units whatever the spelling). */
export function bytes(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = UNITS[(match?.[2] ?? '?').toLowerCase()];
  if (!match || unit === undefined || Number(match[1]) === 0) throw new UsageError(`${flag} needs a size such as 1048576, 512KiB, 64MiB or 32GiB, got ${value}`);
  return Number(match[1]) * unit;
}
