// Waiting without fixed sleeps: delay(), eventually() (poll until a condition holds) and withTimeout().
export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Calls fn until it neither throws nor returns false/null; returns that value.
export async function eventually(fn, { timeout = 5000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v !== false && v !== null) return v;
      last = new Error(`returned ${JSON.stringify(v)}`);
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) throw new Error(`${what} not reached within ${timeout} ms: ${last?.message}`);
    await delay(interval);
  }
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
