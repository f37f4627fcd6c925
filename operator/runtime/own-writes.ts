// A controller's memory of its own writes, so that it does not act on a cache that has not seen
// them yet. A pass that writes an object (its finalizer, its status) is followed by the pass the
// events of the other writes of that pass bring (an owned Secret created, an Event): when that one
// runs before the watch has delivered the object as written, it would plan from the old status and
// write it again, a PATCH the API server refuses with 409 Conflict (its resourceVersion is stale).
// The object as written comes with its own watch event, which brings a pass of its own, so the pass
// on the stale copy can be skipped (client-go's "expectations" of the ReplicaSet controller, for
// one object's own resourceVersions). Pure bookkeeping; own-writes.test.ts.

/** At most this many replaced versions are kept per object (a pass writes two or three times). */
const MAX_VERSIONS_PER_KEY = 8;

/** The resourceVersions this controller's own writes replaced, per object key, until its cache shows another one. */
export class OwnWrites {
  private readonly replaced = new Map<string, string[]>();

  /**
   * A write of this controller turned the object of `key` from resourceVersion `from` into `to`.
   * Not noted when the write changed nothing (same version: no watch event will follow) or a
   * version is unknown.
   */
  wrote(key: string, from: string | undefined, to: string | undefined): void {
    if (from === undefined || to === undefined || from === to) return;
    const versions = this.replaced.get(key) ?? [];
    versions.push(from);
    if (versions.length > MAX_VERSIONS_PER_KEY) versions.shift();
    this.replaced.set(key, versions);
  }

  /**
   * Whether the cached object of `key`, at `cached` resourceVersion, is one a write of this
   * controller already replaced: the cache lags that write, and the watch event of the object as
   * written will bring the next pass. Any other version means the cache caught up (or someone else
   * wrote): the memory of `key` goes.
   */
  behind(key: string, cached: string | undefined): boolean {
    const versions = this.replaced.get(key);
    if (!versions) return false;
    if (cached !== undefined && versions.includes(cached)) return true;
    this.replaced.delete(key);
    return false;
  }

  /** The object of `key` is gone: nothing to remember. */
  forget(key: string): void {
    this.replaced.delete(key);
  }

  /** Objects with writes the cache has not shown yet. */
  get size(): number {
    return this.replaced.size;
  }
}
