// Memoised program builders: a kernel's Program for given arguments is pure data, so ops that
// run again with the same shapes (every training step) reuse it instead of rebuilding index
// tables and uniforms (~30 us of JavaScript each time) and the engine finds its pipeline and
// bind group caches keyed by the same object.

/** Wrap a pure builder with an LRU cache keyed by its JSON-encoded arguments. */
export function memo<A extends unknown[], R>(fn: (...args: A) => R, capacity = 1024): (...args: A) => R {
  const cache = new Map<string, R>();
  return (...args: A): R => {
    const key = JSON.stringify(args);
    let r = cache.get(key);
    if (r !== undefined) {
      cache.delete(key);
      cache.set(key, r);
      return r;
    }
    r = fn(...args);
    cache.set(key, r);
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    return r;
  };
}
