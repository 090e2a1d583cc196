/**
 * The fault layer's one mechanism: replace a method of one object with a wrapper that receives the
 * original (bound to the object). Calls the object makes to itself go through the wrapper too, as
 * they would through a bug compiled into the method.
 */
type Method = (...args: any[]) => any;

type MethodKeys<T> = { [K in keyof T]: T[K] extends Method ? K : never }[keyof T];

export function around<T extends object, K extends MethodKeys<T>>(object: T, key: K, wrap: (original: T[K]) => T[K]): void {
  const original = (object[key] as Method).bind(object) as T[K];
  object[key] = wrap(original);
}
