// A broken invariant is a bug, not a state to smooth over: it fails the one request loudly (the
// metering engine isolates it to the operation that broke it) instead of a clamp that hides it.

export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function invariant(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(`invariant: ${typeof message === 'function' ? message() : message}`);
}
