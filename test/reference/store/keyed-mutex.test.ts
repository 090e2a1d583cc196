/**
 * KeyedMutex: critical sections on one key run one at a time in arrival order; different keys
 * run in parallel; errors propagate without blocking the queue; no key is kept once idle.
 */
import t from 'tap';
import { KeyedMutex } from '../../../reference/store/keyed-mutex.ts';

const tick = (ms = 1): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects when `promise` has not settled within `ms`: a deadlock fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

t.test('one key: sections never overlap and run in arrival order', async (t) => {
  const mutex = new KeyedMutex();
  let inside = 0;
  let maxInside = 0;
  const order: number[] = [];
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      mutex.run('repo', async () => {
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        order.push(i);
        await tick((10 - i) % 3); // later arrivals are quicker: order must still hold
        await tick(0);
        inside -= 1;
        return i * 2;
      }),
    ),
  );
  t.equal(maxInside, 1, 'at most one section inside at a time');
  t.same(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'first come, first served');
  t.same(results, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18], 'each caller gets its own result');
  t.equal(mutex.size, 0, 'no key left once idle');
});

t.test('a read-modify-write under the lock loses no update', async (t) => {
  const mutex = new KeyedMutex();
  let shared = 0;
  let unlocked = 0;
  const increment = async (): Promise<void> => {
    const read = shared;
    await tick(0);
    shared = read + 1;
  };
  await Promise.all(Array.from({ length: 50 }, () => mutex.run('k', increment)));
  // The control: the same increments without the lock lose updates, so the check can fail.
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      const read = unlocked;
      await tick(0);
      unlocked = read + 1;
    }),
  );
  t.equal(shared, 50, 'every increment under the lock counted');
  t.ok(unlocked < 50, `without the lock updates are lost (${unlocked}/50)`);
});

t.test('different keys run in parallel', async (t) => {
  const mutex = new KeyedMutex();
  let aInside!: () => void;
  let bInside!: () => void;
  const aEntered = new Promise<void>((resolve) => (aInside = resolve));
  const bEntered = new Promise<void>((resolve) => (bInside = resolve));
  // Each section waits for the other to be inside: serialized keys would deadlock.
  const a = mutex.run('a', async () => {
    aInside();
    await bEntered;
    return 'a';
  });
  const b = mutex.run('b', async () => {
    bInside();
    await aEntered;
    return 'b';
  });
  t.equal(mutex.size, 2, 'two keys held');
  t.same(await within(Promise.all([a, b]), 2000, 'sections on different keys'), ['a', 'b'], 'both ran at the same time');
  t.equal(mutex.size, 0, 'size back to 0');
});

t.test('size counts keys with a holder or waiters and returns to 0', async (t) => {
  const mutex = new KeyedMutex();
  t.equal(mutex.size, 0, 'empty');
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const first = mutex.run('x', () => gate);
  const second = mutex.run('x', async () => 'second');
  const other = mutex.run('y', async () => 'other');
  t.equal(mutex.size, 2, 'x (held, one waiter) and y');
  t.equal(await other, 'other', 'y did not wait for x');
  t.equal(mutex.size, 1, 'only x left');
  release();
  await first;
  t.equal(await second, 'second', 'the waiter ran after the holder');
  t.equal(mutex.size, 0, 'nothing left');
});

t.test('an error propagates and does not block the key', async (t) => {
  const mutex = new KeyedMutex();
  const failing = mutex.run('k', async () => {
    await tick();
    throw new Error('boom');
  });
  const synchronous = mutex.run('k', () => {
    throw new Error('sync boom');
  });
  const next = mutex.run('k', async () => 'next');
  await t.rejects(failing, { message: 'boom' }, 'the caller sees its error');
  await t.rejects(synchronous, { message: 'sync boom' }, 'a synchronous throw too');
  t.equal(await within(next, 2000, 'the section after the errors'), 'next', 'the queue goes on');
  t.equal(mutex.size, 0, 'size back to 0 after errors');
});
