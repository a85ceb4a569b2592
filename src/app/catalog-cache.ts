// The catalog (plans, models, dated prices, apps) read on every metering batch. Cached for a
// short, named time: a price change takes effect at its effective date, which is always set
// at least `catalog_cache_ttl_ms` ahead by the operator use case, so no process uses a stale price.
import { buildCatalog, type Catalog } from '../domain/catalog';
import { limits } from '../domain/limits';
import type { Store } from './ports';

const catalog_cache_ttl_ms = limits.catalog_cache_ttl_ms;

export class CatalogCache {
  private cached: { catalog: Catalog; loaded_at_ms: number } | undefined;
  private loading: Promise<Catalog> | undefined;

  constructor(private readonly store: Store) {}

  async get(): Promise<Catalog> {
    const now = Date.now(); // wall time for cache freshness only; money never reads it
    if (this.cached && now - this.cached.loaded_at_ms < catalog_cache_ttl_ms) return this.cached.catalog;
    if (!this.loading) {
      this.loading = this.store
        .loadCatalog()
        .then((data) => {
          const catalog = buildCatalog(data);
          this.cached = { catalog, loaded_at_ms: Date.now() };
          return catalog;
        })
        .finally(() => {
          this.loading = undefined;
        });
    }
    return this.loading;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
