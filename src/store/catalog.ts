// The catalog aggregate: plans, models, dated prices and apps, read whole and written as upserts
// (a price version, once written, never changes: authorizations refer to it).
import type { CatalogData } from '../app/ports';
import { constraintError } from './constraints';
import type { Sql } from './db';
import { type AppRow, type ModelPriceRow, type ModelRow, type PlanRow } from './rows';
import { iso, ms, parseJson } from './sql-kit';

export async function writeCatalog(sql: Sql, data: CatalogData): Promise<void> {
  for (const p of data.plans) {
    await sql.query(
      `INSERT INTO plans (id, name, price_micros, per_seat, extra_usage_allowed, windows, requests_per_minute, tokens_per_minute)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, price_micros = EXCLUDED.price_micros, per_seat = EXCLUDED.per_seat,
         extra_usage_allowed = EXCLUDED.extra_usage_allowed, windows = EXCLUDED.windows,
         requests_per_minute = EXCLUDED.requests_per_minute, tokens_per_minute = EXCLUDED.tokens_per_minute`,
      [p.id, p.name, p.price_micros, p.per_seat, p.extra_usage_allowed, JSON.stringify(p.windows), p.requests_per_minute, p.tokens_per_minute],
    );
  }
  for (const m of data.models) {
    await sql.query(
      `INSERT INTO models (id, tier, allowance_multiplier_milli) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET tier = EXCLUDED.tier, allowance_multiplier_milli = EXCLUDED.allowance_multiplier_milli`,
      [m.id, m.tier, m.allowance_multiplier_milli],
    );
  }
  // Price versions are insert-only: a version that authorizations refer to never changes.
  for (const [i, p] of data.prices.entries()) {
    await sql
      .query(
        `INSERT INTO model_prices (id, model_id, effective_at, input_micros_per_mtok, output_micros_per_mtok, cache_write_micros_per_mtok, cache_write_1h_micros_per_mtok, cache_read_micros_per_mtok)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
        [
          p.id,
          p.model_id,
          iso(p.effective_at_ms),
          p.input_micros_per_mtok,
          p.output_micros_per_mtok,
          p.cache_write_micros_per_mtok,
          p.cache_write_1h_micros_per_mtok,
          p.cache_read_micros_per_mtok,
        ],
      )
      .catch((error: unknown) => {
        throw constraintError(error, `prices[${i}]`);
      });
  }
  for (const a of data.apps) {
    await sql.query(`INSERT INTO apps (id, kind) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind`, [a.id, a.kind]);
  }
}

export async function readCatalog(db: Sql): Promise<CatalogData> {
  const [plans, models, prices, apps] = await Promise.all([
    db.query<PlanRow>(`SELECT * FROM plans ORDER BY id`),
    db.query<ModelRow>(`SELECT * FROM models ORDER BY id`),
    db.query<ModelPriceRow>(`SELECT * FROM model_prices ORDER BY model_id, effective_at`),
    db.query<AppRow>(`SELECT * FROM apps ORDER BY id`),
  ]);
  return {
    plans: plans.map((p) => ({
      id: p.id,
      name: p.name,
      price_micros: p.price_micros,
      per_seat: p.per_seat,
      extra_usage_allowed: p.extra_usage_allowed,
      windows: parseJson(p.windows),
      requests_per_minute: p.requests_per_minute,
      tokens_per_minute: p.tokens_per_minute,
    })),
    models: models.map((m) => ({ id: m.id, tier: m.tier, allowance_multiplier_milli: m.allowance_multiplier_milli })),
    prices: prices.map((p) => ({
      id: p.id,
      model_id: p.model_id,
      effective_at_ms: ms(p.effective_at),
      input_micros_per_mtok: p.input_micros_per_mtok,
      output_micros_per_mtok: p.output_micros_per_mtok,
      cache_write_micros_per_mtok: p.cache_write_micros_per_mtok,
      cache_write_1h_micros_per_mtok: p.cache_write_1h_micros_per_mtok,
      cache_read_micros_per_mtok: p.cache_read_micros_per_mtok,
    })),
    apps: apps.map((a) => ({ id: a.id, kind: a.kind })),
  };
}
