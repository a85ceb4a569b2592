// Plans, models with dated prices, and apps. Pure data and lookups; the store persists them.

export type WindowKind = 'cycle' | 'rolling_5h' | 'weekly';
export const WINDOW_KINDS: readonly WindowKind[] = ['cycle', 'rolling_5h', 'weekly'];

export interface AllowanceWindowSpec {
  kind: WindowKind;
  /** Allowance tokens per seat in one window. */
  limit_tokens: number;
}

export interface Plan {
  id: string;
  name: string;
  /** Price of one cycle; per seat when `per_seat`. */
  price_micros: number;
  per_seat: boolean;
  extra_usage_allowed: boolean;
  windows: AllowanceWindowSpec[];
  requests_per_minute: number;
  tokens_per_minute: number;
}

export type ModelTier = 'haiku' | 'sonnet' | 'opus';

export interface Model {
  id: string;
  tier: ModelTier;
  /** Allowance tokens per token, in thousandths (1000 = ×1). */
  allowance_multiplier_milli: number;
}

/** One dated version of a model's prices, in micros per million tokens (= $ per MTok × 10^6). */
export interface ModelPrice {
  id: string;
  model_id: string;
  effective_at_ms: number;
  input_micros_per_mtok: number;
  output_micros_per_mtok: number;
  /** 5-minute cache writes. */
  cache_write_micros_per_mtok: number;
  /** 1-hour cache writes (SPEC §1.4: 2× input in the standard prices). */
  cache_write_1h_micros_per_mtok: number;
  cache_read_micros_per_mtok: number;
}

/** A price version as the operator sends it: the 1-hour cache-write rate may be left to its standard 2× input. */
export type ModelPriceInput = Omit<ModelPrice, 'cache_write_1h_micros_per_mtok'> & { cache_write_1h_micros_per_mtok?: number };

/** 1-hour cache writes cost twice the input rate unless the price version says otherwise. */
export const cache_write_1h_input_multiple = 2;

export function withCacheWrite1h(p: ModelPriceInput): ModelPrice {
  return { ...p, cache_write_1h_micros_per_mtok: p.cache_write_1h_micros_per_mtok ?? p.input_micros_per_mtok * cache_write_1h_input_multiple };
}

export type AppKind = 'first_party' | 'third_party';
export interface App {
  id: string;
  kind: AppKind;
}

export interface Catalog {
  plans: Map<string, Plan>;
  models: Map<string, Model>;
  /** Per model, sorted by effective_at_ms ascending. */
  prices: Map<string, ModelPrice[]>;
  apps: Map<string, App>;
}

/** The price version in force at `now_ms`, or undefined when none has taken effect yet. */
export function priceAt(catalog: Catalog, model_id: string, now_ms: number): ModelPrice | undefined {
  const versions = catalog.prices.get(model_id) ?? [];
  let found: ModelPrice | undefined;
  for (const version of versions) {
    if (version.effective_at_ms <= now_ms) found = version;
    else break;
  }
  return found;
}

export function priceById(catalog: Catalog, model_id: string, price_id: string): ModelPrice | undefined {
  return (catalog.prices.get(model_id) ?? []).find((p) => p.id === price_id);
}

/** The one definition of a paid plan: it costs something and allows extra usage (SPEC §1.5). */
export function isPaidPlan(plan: Plan): boolean {
  return plan.price_micros > 0 && plan.extra_usage_allowed;
}

/** Prices from $/MTok input and output, with cache writes 1.25× (5 minutes) and 2× (1 hour) and cache read 0.1× input (SPEC §1.4). */
export function standardPrice(
  id: string,
  model_id: string,
  effective_at_ms: number,
  input_micros_per_mtok: number,
  output_micros_per_mtok: number,
): ModelPrice {
  // 1.25× and 0.1× of a price that is a multiple of 40 micros/MTok stay integers; the
  // catalog rejects other prices for derived cache rates rather than rounding them silently.
  if (input_micros_per_mtok % 40 !== 0) throw new Error('standardPrice: input price must be a multiple of 40 micros/MTok');
  return {
    id,
    model_id,
    effective_at_ms,
    input_micros_per_mtok,
    output_micros_per_mtok,
    cache_write_micros_per_mtok: (input_micros_per_mtok / 4) * 5,
    cache_write_1h_micros_per_mtok: input_micros_per_mtok * cache_write_1h_input_multiple,
    cache_read_micros_per_mtok: input_micros_per_mtok / 10,
  };
}

/**
 * The default catalog (SPEC §1.3, §1.4). Allowance sizes are the operator's choice; these are
 * small enough that a demo reaches overflow, big enough that a first request never does.
 */
export function defaultCatalogData(): { plans: Plan[]; models: Model[]; prices: ModelPrice[]; apps: App[] } {
  const epoch = Date.UTC(2025, 0, 1);
  return {
    plans: [
      {
        id: 'free',
        name: 'Free',
        price_micros: 0,
        per_seat: false,
        extra_usage_allowed: false,
        windows: [{ kind: 'rolling_5h', limit_tokens: 50_000 }],
        requests_per_minute: 20,
        tokens_per_minute: 200_000,
      },
      {
        id: 'pro',
        name: 'Pro',
        price_micros: 20_000_000,
        per_seat: false,
        extra_usage_allowed: true,
        windows: [
          { kind: 'rolling_5h', limit_tokens: 500_000 },
          { kind: 'weekly', limit_tokens: 5_000_000 },
        ],
        requests_per_minute: 60,
        tokens_per_minute: 2_000_000,
      },
      {
        id: 'max',
        name: 'Max',
        price_micros: 100_000_000,
        per_seat: false,
        extra_usage_allowed: true,
        windows: [
          { kind: 'rolling_5h', limit_tokens: 2_500_000 },
          { kind: 'weekly', limit_tokens: 25_000_000 },
        ],
        requests_per_minute: 200,
        tokens_per_minute: 8_000_000,
      },
      {
        id: 'team',
        name: 'Team',
        price_micros: 30_000_000,
        per_seat: true,
        extra_usage_allowed: true,
        windows: [
          { kind: 'rolling_5h', limit_tokens: 750_000 },
          { kind: 'cycle', limit_tokens: 20_000_000 },
        ],
        requests_per_minute: 120,
        tokens_per_minute: 4_000_000,
      },
    ],
    models: [
      { id: 'claude-haiku-4-5', tier: 'haiku', allowance_multiplier_milli: 1000 },
      { id: 'claude-sonnet-4-5', tier: 'sonnet', allowance_multiplier_milli: 1000 },
      { id: 'claude-opus-4-5', tier: 'opus', allowance_multiplier_milli: 1000 },
    ],
    prices: [
      standardPrice('price_haiku_4_5_v1', 'claude-haiku-4-5', epoch, 1_000_000, 5_000_000),
      standardPrice('price_sonnet_4_5_v1', 'claude-sonnet-4-5', epoch, 3_000_000, 15_000_000),
      standardPrice('price_opus_4_5_v1', 'claude-opus-4-5', epoch, 5_000_000, 25_000_000),
    ],
    apps: [
      { id: 'web', kind: 'first_party' },
      { id: 'mobile', kind: 'first_party' },
      { id: 'desktop', kind: 'first_party' },
      { id: 'claude-code', kind: 'third_party' },
      { id: 'cursor', kind: 'third_party' },
      { id: 'windsurf', kind: 'third_party' },
      { id: 'cline', kind: 'third_party' },
    ],
  };
}

export function buildCatalog(data: { plans: Plan[]; models: Model[]; prices: ModelPrice[]; apps: App[] }): Catalog {
  const prices = new Map<string, ModelPrice[]>();
  for (const price of data.prices) {
    const list = prices.get(price.model_id) ?? [];
    list.push(price);
    prices.set(price.model_id, list);
  }
  for (const list of prices.values()) list.sort((a, b) => a.effective_at_ms - b.effective_at_ms);
  return {
    plans: new Map(data.plans.map((p) => [p.id, p])),
    models: new Map(data.models.map((m) => [m.id, m])),
    prices,
    apps: new Map(data.apps.map((a) => [a.id, a])),
  };
}
