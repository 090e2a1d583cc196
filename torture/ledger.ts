/**
 * What the registry acknowledged, and what it may therefore hold: each key (a blob, a manifest, a
 * tag, an upload session's progress) is a register whose writes are recorded with the instant the
 * client sent them and the instant it got the acknowledgement (201/202), if it ever did. After a
 * crash, or once all writers are done, the value the registry holds must be one a linearizable
 * register could hold: the value of a write that no acknowledged write supersedes — one that
 * started after it was acknowledged. A write never acknowledged (in flight at a kill, or answered
 * with an error) may or may not have taken effect; a tag moved and acknowledged after an earlier
 * move wins. Once verified, a key settles to the value seen, and the next round starts from it.
 */

/** The value of a key that is not there (a deleted tag, a blob never pushed). */
export const ABSENT = '<absent>';

export interface Write {
  readonly value: string;
  readonly start: number;
  ack: number | undefined;
}

interface Register {
  settled: string;
  writes: Write[];
}

export class Ledger {
  readonly #keys = new Map<string, Register>();
  #acknowledged = 0;

  /** Every write acknowledged so far. */
  get acknowledged(): number {
    return this.#acknowledged;
  }

  /** Records a write of `value` to `key`, sent now. */
  begin(key: string, value: string): Write {
    const write: Write = { value, start: performance.now(), ack: undefined };
    this.#register(key).writes.push(write);
    return write;
  }

  /** The registry acknowledged the write. */
  acknowledge(write: Write): void {
    if (write.ack !== undefined) return;
    write.ack = performance.now();
    this.#acknowledged += 1;
  }

  /** The write certainly did nothing (the registry said so, e.g. a DELETE answered 404): forget it. */
  retract(key: string, write: Write): void {
    const register = this.#keys.get(key);
    if (register) register.writes = register.writes.filter((w) => w !== write);
  }

  /** The values the registry may hold for `key` now. */
  allowed(key: string): Set<string> {
    const register = this.#keys.get(key);
    if (!register) return new Set([ABSENT]);
    let latestAckedStart = -Infinity;
    for (const w of register.writes) if (w.ack !== undefined) latestAckedStart = Math.max(latestAckedStart, w.start);
    const allowed = new Set<string>();
    if (latestAckedStart === -Infinity) allowed.add(register.settled);
    for (const w of register.writes) if ((w.ack ?? Infinity) >= latestAckedStart) allowed.add(w.value);
    return allowed;
  }

  /**
   * The value the writers believe: the last acknowledged write's (writes to one key by one writer
   * are sequential), else the settled value.
   */
  believed(key: string): string {
    const register = this.#keys.get(key);
    if (!register) return ABSENT;
    let best: Write | undefined;
    for (const w of register.writes) if (w.ack !== undefined && (best === undefined || w.start > best.start)) best = w;
    return best?.value ?? register.settled;
  }

  /** Keys written since they last settled. */
  unsettled(): string[] {
    return [...this.#keys].filter(([, r]) => r.writes.length > 0).map(([key]) => key);
  }

  keys(): string[] {
    return [...this.#keys.keys()];
  }

  /** The registry was seen holding `value` for `key`: the next round starts from it. */
  settle(key: string, value: string): void {
    const register = this.#register(key);
    register.settled = value;
    register.writes = [];
  }

  #register(key: string): Register {
    let register = this.#keys.get(key);
    if (!register) {
      register = { settled: ABSENT, writes: [] };
      this.#keys.set(key, register);
    }
    return register;
  }
}
