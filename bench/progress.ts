/**
 * The live display of a run. On a terminal one line is redrawn five times a second: step, cell,
 * registry, repetition, elapsed time, operations, rate, errors. Elsewhere (CI logs, pipes) plain
 * lines: one every 10 s in a long cell. Both print a line per finished cell and per preparation.
 */
import type { Measurement } from './result.ts';
import type { Live, RunHooks, Step } from './runner.ts';
import { formatSize } from './settings.ts';
import { num } from './report/text.ts';

const PLAIN_EVERY_MS = 10_000;

function name(step: Step): string {
  return `[${step.number}/${step.total}] ${step.registry} ${step.workload.name}${step.size !== undefined ? ` ${formatSize(step.size)}` : ''} c${step.concurrency} rep ${step.repetition}`;
}

export function progress(stream: NodeJS.WritableStream & { isTTY?: boolean }): RunHooks & { done(): void } {
  const tty = stream.isTTY === true;
  let drawn = false;
  let lastPlain = 0;
  const clear = (): void => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    onPhase(text) {
      clear();
      stream.write(`${text}\n`);
    },
    onTick(step: Step, live: Live) {
      const rate = `${num(live.ops / (live.elapsedMs / 1000))} op/s, ${num(live.bytes / 1e6 / (live.elapsedMs / 1000))} MB/s`;
      const line = `${name(step)}  ${(live.elapsedMs / 1000).toFixed(1)} s  ${live.ops} ops  ${rate}  ${live.errors} errors`;
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else if (live.elapsedMs - lastPlain >= PLAIN_EVERY_MS) {
        lastPlain = live.elapsedMs;
        stream.write(`${line}\n`);
      }
    },
    onCellEnd(step: Step, m: Measurement | undefined, note: string | undefined) {
      clear();
      lastPlain = 0;
      const errors = m ? Object.values(m.errors).reduce((a, b) => a + b, 0) : 0;
      const figures = m ? `${num(m.opsPerSec)} op/s  ${num(m.mbPerSec)} MB/s  p50 ${num(m.latencyMs?.p50)} ms  ${errors} error${errors === 1 ? '' : 's'}` : note ?? '';
      stream.write(`${name(step)}  ${figures}\n`);
    },
    done: clear,
  };
}
