/**
 * A value made on first use, then kept. For zod schemas a command may never use: building them
 * all when the module loads costs every `captain` start a few milliseconds.
 */
export const lazy = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
};
