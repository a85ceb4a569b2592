// The webhooks aggregate: endpoints, one delivery per (endpoint, event), every attempt. The
// fan-out and the claim lock rows with FOR UPDATE SKIP LOCKED, so several server processes on one
// PostgreSQL split the work and each delivery is attempted by one process at a time (its lease).
import type { ClaimedDelivery, WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord, WebhookStore } from '../app/ports';
import type { Db, Sql } from './db';
import { iso, json, ms, msOrNull, parseJson } from './sql-kit';

interface EndpointRow {
  id: string;
  account_id: string | null;
  url: string;
  event_types: unknown;
  secret: string;
  created_at: Date;
  failing_since: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
}

interface DeliveryRow {
  id: string;
  endpoint_id: string;
  event_id: number;
  event_type: string;
  status: WebhookDeliveryRecord['status'];
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  completed_at: Date | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: Date;
}

function fromDbEndpoint(r: EndpointRow): WebhookEndpointRecord {
  return {
    id: r.id,
    account_id: r.account_id,
    url: r.url,
    event_types: r.event_types === null ? null : parseJson<string[]>(r.event_types),
    secret: r.secret,
    created_at_ms: ms(r.created_at),
    failing_since_ms: msOrNull(r.failing_since),
    disabled_at_ms: msOrNull(r.disabled_at),
    disabled_reason: r.disabled_reason,
  };
}

function fromDbAttempt(r: AttemptRow): WebhookAttemptRecord {
  return { attempt: r.attempt, status_code: r.status_code, error: r.error, duration_ms: r.duration_ms, attempted_at_ms: ms(r.attempted_at) };
}

const DELIVERY_COLUMNS = `d.id, d.endpoint_id, d.event_id, o.type AS event_type, d.status, d.attempts, d.next_attempt_at, d.created_at, d.completed_at`;

export class PgWebhookStore implements WebhookStore {
  constructor(private readonly db: Db) {}

  async insertEndpoint(e: WebhookEndpointRecord) {
    await this.db.query(`INSERT INTO webhook_endpoints (id, account_id, url, event_types, secret, created_at) VALUES ($1, $2, $3, $4::jsonb, $5, $6)`, [
      e.id,
      e.account_id,
      e.url,
      json(e.event_types),
      e.secret,
      iso(e.created_at_ms),
    ]);
  }

  async countEndpoints(account_id: string | null) {
    const rows = await this.db.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM webhook_endpoints WHERE account_id IS NOT DISTINCT FROM $1`, [
      account_id,
    ]);
    return rows[0]!.n;
  }

  async listEndpoints(account_id: string | null) {
    const rows = await this.db.query<EndpointRow>(`SELECT * FROM webhook_endpoints WHERE account_id IS NOT DISTINCT FROM $1 ORDER BY created_at, id`, [
      account_id,
    ]);
    return rows.map(fromDbEndpoint);
  }

  async getEndpoint(id: string) {
    const rows = await this.db.query<EndpointRow>(`SELECT * FROM webhook_endpoints WHERE id = $1`, [id]);
    return rows[0] ? fromDbEndpoint(rows[0]) : undefined;
  }

  async deleteEndpoint(id: string) {
    await this.db.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [id]);
  }

  async listDeliveries(input: { endpoint_id: string; limit: number; before_id?: string }) {
    // The cursor is looked up among this endpoint's deliveries only (another's id pages as none).
    const rows = await this.db.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN outbox o ON o.id = d.event_id
        WHERE d.endpoint_id = $1
          AND ($3::text IS NULL OR d.event_id < (SELECT c.event_id FROM webhook_deliveries c WHERE c.id = $3 AND c.endpoint_id = $1))
        ORDER BY d.event_id DESC LIMIT $2`,
      [input.endpoint_id, input.limit, input.before_id ?? null],
    );
    return this.withLogs(rows);
  }

  async getDelivery(id: string) {
    const rows = await this.db.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN outbox o ON o.id = d.event_id WHERE d.id = $1`, [
      id,
    ]);
    return (await this.withLogs(rows))[0];
  }

  private async withLogs(rows: DeliveryRow[]): Promise<WebhookDeliveryRecord[]> {
    const attempts =
      rows.length === 0
        ? []
        : await this.db.query<AttemptRow>(`SELECT * FROM webhook_attempts WHERE delivery_id = ANY($1::text[]) ORDER BY id`, [rows.map((r) => r.id)]);
    return rows.map((r) => ({
      id: r.id,
      endpoint_id: r.endpoint_id,
      event_id: r.event_id,
      event_type: r.event_type,
      status: r.status,
      attempts: r.attempts,
      next_attempt_at_ms: r.status === 'pending' ? ms(r.next_attempt_at) : null,
      created_at_ms: ms(r.created_at),
      completed_at_ms: msOrNull(r.completed_at),
      log: attempts.filter((a) => a.delivery_id === r.id).map(fromDbAttempt),
    }));
  }

  async redeliver(delivery_id: string, now_ms: number) {
    await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ endpoint_id: string }>(
        `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2, leased_until = NULL, completed_at = NULL WHERE id = $1 RETURNING endpoint_id`,
        [delivery_id, iso(now_ms)],
      );
      if (rows[0])
        await tx.query(
          `UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, failing_since = NULL WHERE id = $1 AND disabled_at IS NOT NULL`,
          [rows[0].endpoint_id],
        );
    });
  }

  async fanOut(now_ms: number, events_max: number) {
    // An endpoint gets the events written from its creation on, of the types it asked for.
    const rows = await this.db.transaction((tx) =>
      tx.query<{ events: number; deliveries: number }>(
        `WITH due AS (
           SELECT id, account_id, type, created_at FROM outbox WHERE fanned_out_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
         ), made AS (
           INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, created_at)
           SELECT 'whd_' || e.id || '_' || substr(ep.id, 5), ep.id, e.id, 'pending', 0, $2, $2
             FROM due e JOIN webhook_endpoints ep ON (ep.account_id = e.account_id OR ep.account_id IS NULL)
            WHERE ep.disabled_at IS NULL AND ep.created_at <= e.created_at AND (ep.event_types IS NULL OR ep.event_types ? e.type)
           ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING
           RETURNING 1
         ), marked AS (
           UPDATE outbox SET fanned_out_at = $2 WHERE id IN (SELECT id FROM due) RETURNING 1
         )
         SELECT (SELECT COUNT(*) FROM marked)::bigint AS events, (SELECT COUNT(*) FROM made)::bigint AS deliveries`,
        [events_max, iso(now_ms)],
      ),
    );
    return rows[0]!;
  }

  async claimDeliveries(now_ms: number, lease_until_ms: number, limit: number): Promise<ClaimedDelivery[]> {
    const rows = await this.db.transaction((tx) =>
      tx.query<{
        id: string;
        endpoint_id: string;
        attempts: number;
        url: string;
        secret: string;
        event_id: number;
        account_id: string;
        type: string;
        payload: unknown;
        created_at: Date;
      }>(
        `WITH due AS (
           SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints ep ON ep.id = d.endpoint_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until <= $1) AND ep.disabled_at IS NULL
            ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED
         ), claimed AS (
           UPDATE webhook_deliveries d SET leased_until = $2, attempts = d.attempts + 1 FROM due WHERE d.id = due.id
           RETURNING d.id, d.endpoint_id, d.event_id, d.attempts
         )
         SELECT c.id, c.endpoint_id, c.attempts, ep.url, ep.secret, o.id AS event_id, o.account_id, o.type, o.payload, o.created_at
           FROM claimed c JOIN webhook_endpoints ep ON ep.id = c.endpoint_id JOIN outbox o ON o.id = c.event_id`,
        [iso(now_ms), iso(lease_until_ms), limit],
      ),
    );
    return rows.map((r) => ({
      delivery_id: r.id,
      endpoint_id: r.endpoint_id,
      attempt: r.attempts,
      url: r.url,
      secret: r.secret,
      event: {
        id: r.event_id,
        account_id: r.account_id,
        type: r.type,
        payload: parseJson<Record<string, unknown>>(r.payload),
        created_at_ms: ms(r.created_at),
      },
    }));
  }

  recordAttempt(input: Parameters<WebhookStore['recordAttempt']>[0]) {
    const { delivery, attempt, next, now_ms } = input;
    return this.db.transaction(async (tx) => {
      // The endpoint first: attempts of one endpoint then queue here instead of each locking its
      // delivery and then the endpoint (a disable updates every pending delivery: a deadlock).
      await tx.query(`SELECT 1 FROM webhook_endpoints WHERE id = $1 FOR UPDATE`, [delivery.endpoint_id]);
      await tx.query(`INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, attempted_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
        delivery.delivery_id,
        attempt.attempt,
        attempt.status_code,
        attempt.error,
        attempt.duration_ms,
        iso(attempt.attempted_at_ms),
      ]);
      await tx.query(
        // An endpoint disabled while this attempt was out (by another delivery's failure) takes no retry.
        `UPDATE webhook_deliveries d SET status = CASE WHEN $2 = 'pending' AND ep.disabled_at IS NOT NULL THEN 'failed' ELSE $2 END,
                next_attempt_at = COALESCE($3, d.next_attempt_at), leased_until = NULL,
                completed_at = CASE WHEN $2 = 'pending' AND ep.disabled_at IS NULL THEN NULL ELSE $4::timestamptz END
           FROM webhook_endpoints ep WHERE d.id = $1 AND ep.id = d.endpoint_id`,
        [delivery.delivery_id, next.status, next.status === 'pending' ? iso(next.next_attempt_at_ms) : null, iso(now_ms)],
      );
      if (next.status === 'succeeded') {
        await tx.query(`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, [delivery.endpoint_id]);
        return { disabled: false };
      }
      await tx.query(`UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL`, [delivery.endpoint_id, iso(now_ms)]);
      return disableIfFailing(tx, delivery.endpoint_id, input.disable_cutoff_ms, now_ms);
    });
  }
}

/** Disables an endpoint failing since the cutoff or earlier; tells its owner (or the operator's audit log). */
async function disableIfFailing(tx: Sql, endpoint_id: string, cutoff_ms: number, now_ms: number): Promise<{ disabled: boolean }> {
  const reason = 'every delivery failed for days';
  const [off] = await tx.query<{ account_id: string | null; url: string; failing_since: Date }>(
    `UPDATE webhook_endpoints SET disabled_at = $3, disabled_reason = $4 WHERE id = $1 AND disabled_at IS NULL AND failing_since <= $2 RETURNING account_id, url, failing_since`,
    [endpoint_id, iso(cutoff_ms), iso(now_ms), reason],
  );
  if (!off) return { disabled: false };
  await tx.query(`UPDATE webhook_deliveries SET status = 'failed', completed_at = $2, leased_until = NULL WHERE endpoint_id = $1 AND status = 'pending'`, [
    endpoint_id,
    iso(now_ms),
  ]);
  const details = { endpoint_id, url: off.url, reason, failing_since: new Date(ms(off.failing_since)).toISOString() };
  if (off.account_id !== null)
    await tx.query(`INSERT INTO outbox (account_id, type, payload, created_at) VALUES ($1, 'webhook_endpoint.disabled', $2::jsonb, $3)`, [
      off.account_id,
      json(details),
      iso(now_ms),
    ]);
  else
    await tx.query(
      `INSERT INTO audit_log (account_id, actor, action, request_id, details, created_at) VALUES (NULL, 'system', 'webhook_endpoint.disabled', NULL, $1::jsonb, $2)`,
      [json(details), iso(now_ms)],
    );
  return { disabled: true };
}
