import type { Catalog, Plan } from '../domain/catalog';
import type { AccountState } from '../domain/wallet';

/** The account's plan in the catalog, or undefined (no plan, or one the catalog no longer has). */
export function catalogPlan(catalog: Catalog, account: Pick<AccountState, 'plan_id'>): Plan | undefined {
  return account.plan_id ? catalog.plans.get(account.plan_id) : undefined;
}
