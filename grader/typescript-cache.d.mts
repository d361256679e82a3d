// Types for typescript-cache.mjs, which is plain JavaScript (see there why).

export class TypeScriptLoadError extends Error {}

/** Where the compiled copy of the source file `file` (absolute) lives. */
export function compiledPath(file: string): string;

/** Compile `file` and the TypeScript it imports, where changed; the URL of `file`'s compiled copy. */
export function compileTypeScript(file: string): Promise<string>;

/** import() a TypeScript module through the cache. */
export function importTypeScript(file: string): Promise<unknown>;

/** Remove compiled copies whose source is gone, and emptied folders; how many files went. */
export function pruneCompiled(): number;
