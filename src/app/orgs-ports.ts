// What API organizations need from the store (issue 12), kept apart from ports.ts so that file
// only gains two fields (`orgs` on the store and on a transaction).
import type { ApiKeyRecord, ApiKeyState, OrgRole } from '../domain/orgs';
import type { ApiTier } from '../domain/tiers';
import type { AccountRecord } from '../domain/records';

export interface OrgMemberRow {
  user_id: string;
  email: string;
  role: OrgRole;
  created_at_ms: number;
}

export interface OrgUsageRow {
  bucket: string;
  group: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cost_micros: number;
}

/** Writes and locked reads inside one transaction (the org's account row is locked first by the caller). */
export interface OrgTx {
  insertMember(org_id: string, user_id: string, role: OrgRole, now_ms: number): Promise<void>;
  insertApiKey(row: ApiKeyRecord): Promise<void>;
  /** Locks the keys (FOR UPDATE, in id order) and reads their counters at their newest version. */
  lockApiKeys(ids: string[]): Promise<Map<string, ApiKeyState>>;
  /** Marks the key revoked (if it is not already); answers whether this call revoked it. */
  revokeApiKey(org_id: string, key_id: string, now_ms: number): Promise<boolean>;
  replaceTiers(tiers: ApiTier[]): Promise<void>;
}

/** Plain reads. */
export interface OrgStore {
  getRole(org_id: string, user_id: string): Promise<OrgRole | undefined>;
  listMembers(org_id: string): Promise<OrgMemberRow[]>;
  /** The orgs a user belongs to, with their role in each, by id. */
  listUserOrgs(user_id: string, limit: number, after?: string): Promise<Array<{ org: AccountRecord; role: OrgRole }>>;
  listOrgs(limit: number, after?: string): Promise<AccountRecord[]>;
  findApiKeyByHash(key_hash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(org_id: string): Promise<ApiKeyRecord[]>;
  /** What the org has bought in all (succeeded purchases, manual and auto-reload): its tier follows it. */
  /** The org's succeeded credit purchases: what was bought, and what of it was refunded. */
  purchasedTotal(org_id: string): Promise<{ bought_micros: number; refunded_micros: number }>;
  listTiers(): Promise<ApiTier[]>;
  usage(input: { org_id: string; from_day: string; to_day: string; granularity: 'day' | 'month'; group_by: 'key' | 'model' | null }): Promise<OrgUsageRow[]>;
}
