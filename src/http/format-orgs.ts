// API organizations on the wire: records → the contract's shapes (src/contract/orgs.ts).
import type { ApiKeyView } from '../app/orgs';
import type { AccountRecord } from '../app/ports';
import type { ApiKeyBody, OrgSummaryBody } from '../contract/orgs';
import type { OrgRole } from '../domain/orgs';
import { iso, isoOrNull } from './format';

export function toApiOrgSummary(org: AccountRecord, role: OrgRole | null): OrgSummaryBody {
  return { id: org.id, kind: 'api_org', name: org.name, created_at: iso(org.created_at_ms), role };
}

/** A key as every list shows it: its prefix, never its secret or its hash. */
export function toApiApiKey({ key, spent_this_month_micros }: ApiKeyView): ApiKeyBody {
  return {
    id: key.id,
    org_id: key.org_id,
    name: key.name,
    prefix: key.prefix,
    monthly_limit_micros: key.monthly_limit_micros,
    spent_this_month_micros,
    created_at: iso(key.created_at_ms),
    last_used_at: isoOrNull(key.last_used_at_ms),
    revoked_at: isoOrNull(key.revoked_at_ms),
  };
}

export function toApiOrgMember(m: { user_id: string; email: string; role: OrgRole; created_at_ms: number }) {
  return { user_id: m.user_id, email: m.email, role: m.role, created_at: iso(m.created_at_ms) };
}
