// Small helpers to build a spec from construct props.

/** Removes the keys whose value is undefined, so the manifest holds only what was declared. */
export function definedOnly<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
