/**
 * A module loaded on its first use. Commands reach their services through one, so that the
 * registry (which the CLI and the daemon load at start) carries only the command definitions,
 * and an implementation (with its libraries) is loaded when a command first runs.
 */

type Fn = (...args: never[]) => unknown;

/** The module's functions, each answering a promise of what it answers. */
export type Lazy<M> = {
  readonly [K in keyof M as M[K] extends Fn ? K : never]: M[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** `load` is a dynamic `import()`: the bundler keeps what it imports out of the start-up file. */
export function lazy<M extends object>(load: () => Promise<M>): Lazy<M> {
  let loading: Promise<M> | undefined;
  const functions = new Map<PropertyKey, Fn>();
  return new Proxy({} as Lazy<M>, {
    get(_, name) {
      let f = functions.get(name);
      if (!f) {
        f = (async (...args: unknown[]) => {
          const mod = (await (loading ??= load())) as Record<PropertyKey, (...a: unknown[]) => unknown>;
          return mod[name]!(...args);
        }) as Fn;
        functions.set(name, f);
      }
      return f;
    },
  });
}
