// Module resolution hook for running the CLI from source: resolves workspace packages to their `src/` through
// the `@conveyor/source` export condition (what `node --conditions=@conveyor/source` does).
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('@conveyor/source')
    ? context.conditions
    : ['@conveyor/source', ...context.conditions];
  return nextResolve(specifier, { ...context, conditions });
}
