/**
 * What a cell costs besides time: the client's CPU (process.cpuUsage, in % of one core over the
 * cell's wall time) and, for a registry given by PID on this machine, its memory from
 * /proc/PID/status: the peak (VmHWM, reset at the start of the cell by writing 5 to
 * /proc/PID/clear_refs, Linux ≥ 4.0, when permitted) and the largest VmRSS sampled every 100 ms.
 */
import { readFile, writeFile } from 'node:fs/promises';

export interface RegistryMemory {
  /** VmHWM at the end of the cell, in MiB; undefined when it could not be reset (then it is the process's peak so far). */
  readonly peakMb: number | undefined;
  readonly sampledMaxMb: number;
}

const SAMPLE_MS = 100;

async function status(pid: number): Promise<{ rss: number; hwm: number } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Whether a process with this id exists here. */
export async function processExists(pid: number): Promise<boolean> {
  return (await status(pid)) !== undefined;
}

/** Starts measuring the client's CPU and the registry's memory; `stop` gives the figures. */
export async function startMeasuring(pid: number | undefined): Promise<{ stop(): Promise<{ cpuPercent: number; memory: RegistryMemory | undefined }> }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let reset = false;
  let sampledMax = 0;
  let timer: NodeJS.Timeout | undefined;
  if (pid !== undefined) {
    reset = await writeFile(`/proc/${pid}/clear_refs`, '5').then(() => true, () => false);
    sampledMax = (await status(pid))?.rss ?? 0;
    timer = setInterval(() => {
      void status(pid).then((s) => {
        if (s !== undefined) sampledMax = Math.max(sampledMax, s.rss);
      });
    }, SAMPLE_MS);
  }
  return {
    async stop() {
      const used = process.cpuUsage(cpu);
      const wallUs = (performance.now() - started) * 1000;
      const cpuPercent = wallUs > 0 ? (100 * (used.user + used.system)) / wallUs : 0;
      if (pid === undefined) return { cpuPercent, memory: undefined };
      clearInterval(timer);
      const last = await status(pid);
      if (last !== undefined) sampledMax = Math.max(sampledMax, last.rss);
      return { cpuPercent, memory: { peakMb: reset && last !== undefined ? last.hwm : undefined, sampledMaxMb: sampledMax } };
    },
  };
}
