// Every route of API v1 with its success status, its answer's schema and, where it has them,
// its body and query schemas: the table the CLI's typed client is built on. The routes in
// src/http/routes/ declare the same schemas; test/e2e/contract.test.ts checks this table
// against the served OpenAPI document, so neither can drift from the other.
import type { Static, TSchema } from '@sinclair/typebox';
import * as S from './schemas';
import * as M from './members';
import * as C from './credits';
import * as W from './webhooks';
import * as P from './payments';
import * as O from './orgs';
import * as G from './gateway';

interface RouteShape {
  status: number;
  response: TSchema;
  body?: TSchema;
  query?: TSchema;
}

export const ROUTES = {
  'POST /v1/accounts': { status: 201, response: S.AccountResponse, body: S.CreateAccountRequest },
  'GET /v1/accounts': { status: 200, response: S.AccountList, query: S.AccountsQuery },
  'GET /v1/accounts/{id}': { status: 200, response: S.AccountResponse },
  'PUT /v1/accounts/{id}/subscription': { status: 200, response: S.AccountResponse, body: S.SubscriptionRequest },
  'DELETE /v1/accounts/{id}/subscription': { status: 200, response: S.AccountResponse },
  'GET /v1/accounts/{id}/members': { status: 200, response: M.MemberList },
  'POST /v1/accounts/{id}/members': { status: 202, response: M.Invitation, body: M.InviteMemberRequest },
  'PATCH /v1/accounts/{id}/members/{user_id}': { status: 200, response: M.MemberChanged, body: M.MemberRoleRequest },
  'DELETE /v1/accounts/{id}/members/{user_id}': { status: 200, response: M.MemberChanged },
  'POST /v1/accounts/{id}/payment-methods': { status: 201, response: S.PaymentMethod, body: S.PaymentMethodRequest },
  'GET /v1/accounts/{id}/payment-methods': { status: 200, response: S.PaymentMethodList },
  'GET /v1/accounts/{id}/extra-usage': { status: 200, response: S.ExtraUsageResponse },
  'PATCH /v1/accounts/{id}/extra-usage': { status: 200, response: S.ExtraUsageResponse, body: S.ExtraUsagePatchRequest },
  'POST /v1/accounts/{id}/extra-usage/credits': { status: 201, response: S.PurchaseResponse, body: S.CreditsRequest },
  'POST /v1/accounts/{id}/grants': { status: 201, response: S.GrantResponse, body: S.GrantRequest },
  'GET /v1/accounts/{id}/usage': { status: 200, response: S.UsageResponse, query: S.UsageQuery },
  'GET /v1/accounts/{id}/usage-records': { status: 200, response: S.UsageRecordList, query: S.PageQuery },
  'GET /v1/accounts/{id}/transactions': { status: 200, response: S.TransactionList, query: S.PageQuery },
  'GET /v1/accounts/{id}/events': { status: 200, response: S.EventList, query: S.PageQuery },
  'GET /v1/invitations': { status: 200, response: M.InvitationList, query: S.PageQuery },
  'POST /v1/invitations/{id}/accept': { status: 200, response: M.Invitation },
  'POST /v1/invitations/{id}/decline': { status: 200, response: M.Invitation },
  'POST /v1/authorizations': { status: 201, response: S.AuthorizationResponse, body: S.AuthorizeRequest },
  'GET /v1/authorizations/{id}': { status: 200, response: S.AuthorizationResponse },
  'POST /v1/authorizations/{id}/settle': { status: 200, response: S.AuthorizationResponse, body: S.SettleRequest },
  'POST /v1/authorizations/{id}/release': { status: 200, response: S.AuthorizationResponse },
  'POST /v1/usage-events': { status: 200, response: S.UsageEventsResponse, body: S.UsageEventsRequest },
  'GET /v1/catalog': { status: 200, response: S.CatalogResponse },
  'PUT /v1/catalog': { status: 200, response: S.OkResponse, body: S.CatalogBody },
  'GET /v1/audit': { status: 200, response: S.AuditResponse },
  'GET /v1/audit-log': { status: 200, response: S.AuditLogList, query: S.PageQuery },
  'POST /v1/sessions': { status: 201, response: S.SessionResponse, body: S.SessionRequest },
  'DELETE /v1/sessions/current': { status: 200, response: S.OkResponse },
  'GET /v1/me': { status: 200, response: S.MeResponse },
  'POST /v1/tokens': { status: 201, response: S.PersonalTokenResponse, body: S.TokenRequest },
  'DELETE /v1/tokens/{id}': { status: 200, response: S.RevokedResponse },
  'POST /v1/service-tokens': { status: 201, response: S.ServiceTokenResponse, body: S.ServiceTokenRequest },
  'GET /v1/service-tokens': { status: 200, response: S.ServiceTokenList },
  'DELETE /v1/service-tokens/{id}': { status: 200, response: S.RevokedResponse },
  'POST /v1/accounts/{id}/refunds': { status: 201, response: C.RefundResponse, body: C.RefundRequest },
  'GET /v1/accounts/{id}/refunds': { status: 200, response: C.RefundList, query: S.PageQuery },
  'GET /v1/accounts/{id}/grants': { status: 200, response: C.GrantList, query: S.PageQuery },
  'POST /v1/accounts/{id}/promotions/claim': { status: 201, response: C.ClaimResponse, body: C.ClaimRequest },
  'POST /v1/promotions': { status: 201, response: C.Promotion, body: C.PromotionRequest },
  'GET /v1/promotions': { status: 200, response: C.PromotionList, query: S.PageQuery },
  'POST /v1/accounts/{id}/webhook-endpoints': { status: 201, response: W.WebhookEndpointCreated, body: W.WebhookEndpointRequest },
  'GET /v1/accounts/{id}/webhook-endpoints': { status: 200, response: W.WebhookEndpointList },
  'DELETE /v1/accounts/{id}/webhook-endpoints/{endpoint_id}': { status: 200, response: W.WebhookEndpointDeleted },
  'GET /v1/accounts/{id}/webhook-endpoints/{endpoint_id}/deliveries': { status: 200, response: W.WebhookDeliveryList, query: S.PageQuery },
  'POST /v1/accounts/{id}/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver': { status: 202, response: W.WebhookDelivery },
  'POST /v1/webhook-endpoints': { status: 201, response: W.WebhookEndpointCreated, body: W.WebhookEndpointRequest },
  'GET /v1/webhook-endpoints': { status: 200, response: W.WebhookEndpointList },
  'DELETE /v1/webhook-endpoints/{endpoint_id}': { status: 200, response: W.WebhookEndpointDeleted },
  'GET /v1/webhook-endpoints/{endpoint_id}/deliveries': { status: 200, response: W.WebhookDeliveryList, query: S.PageQuery },
  'POST /v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver': { status: 202, response: W.WebhookDelivery },
  // The card provider (docs/payments.md): a purchase the bank asked about, and the provider's signed webhooks.
  'POST /v1/accounts/{id}/extra-usage/credits/{purchase_id}/confirm': { status: 200, response: S.PurchaseResponse },
  'POST /v1/webhooks/stripe': { status: 200, response: P.ProviderWebhookReceipt },
  // API organizations (issue 12)
  'POST /v1/orgs': { status: 201, response: O.OrgResponse, body: O.CreateOrgRequest },
  'GET /v1/orgs': { status: 200, response: O.OrgList, query: S.PageQuery },
  'GET /v1/orgs/{id}': { status: 200, response: O.OrgResponse },
  'PATCH /v1/orgs/{id}': { status: 200, response: O.OrgResponse, body: O.OrgPatchRequest },
  'GET /v1/orgs/{id}/members': { status: 200, response: O.OrgMemberList },
  'POST /v1/orgs/{id}/members': { status: 202, response: M.Invitation, body: O.InviteOrgMemberRequest },
  'PATCH /v1/orgs/{id}/members/{user_id}': { status: 200, response: M.MemberChanged, body: O.OrgMemberRoleRequest },
  'DELETE /v1/orgs/{id}/members/{user_id}': { status: 200, response: M.MemberChanged },
  'POST /v1/orgs/{id}/keys': { status: 201, response: O.ApiKeyCreated, body: O.CreateApiKeyRequest },
  'GET /v1/orgs/{id}/keys': { status: 200, response: O.ApiKeyList },
  'DELETE /v1/orgs/{id}/keys/{key_id}': { status: 200, response: O.ApiKey },
  'POST /v1/orgs/{id}/payment-methods': { status: 201, response: S.PaymentMethod, body: S.PaymentMethodRequest },
  'GET /v1/orgs/{id}/payment-methods': { status: 200, response: S.PaymentMethodList },
  'POST /v1/orgs/{id}/credits': { status: 201, response: S.PurchaseResponse, body: S.CreditsRequest },
  'POST /v1/orgs/{id}/credits/{purchase_id}/confirm': { status: 200, response: S.PurchaseResponse },
  'POST /v1/orgs/{id}/grants': { status: 201, response: S.GrantResponse, body: S.GrantRequest },
  'GET /v1/orgs/{id}/usage': { status: 200, response: O.OrgUsageResponse, query: O.OrgUsageQuery },
  'GET /v1/orgs/{id}/transactions': { status: 200, response: S.TransactionList, query: S.PageQuery },
  'GET /v1/orgs/{id}/events': { status: 200, response: S.EventList, query: S.PageQuery },
  'GET /v1/api-tiers': { status: 200, response: O.ApiTiersBody },
  'PUT /v1/api-tiers': { status: 200, response: O.ApiTiersBody, body: O.ApiTiersBody },
  // The drop-in model gateway (docs/gateway.md): Anthropic's Messages API, metered
  'POST /v1/messages': { status: 200, response: G.MessagesResponse, body: G.MessagesRequest },
} as const satisfies Record<string, RouteShape>;

export type RouteKey = keyof typeof ROUTES;
type Shape<K extends RouteKey> = (typeof ROUTES)[K];
/** The answer of a route on success. */
export type ResponseOf<K extends RouteKey> = Static<Shape<K>['response']>;
/** The body a route takes (never, when it takes none). */
export type BodyOf<K extends RouteKey> = Shape<K> extends { body: infer B extends TSchema } ? Static<B> : never;
/** The query a route takes. */
export type QueryOf<K extends RouteKey> = Shape<K> extends { query: infer Q extends TSchema } ? Static<Q> : never;
/** The path parameters of a route, from its template: `{id}` in the path is `{ id: string }`. */
export type PathParams<K extends string> = K extends `${string}{${infer P}}${infer Rest}` ? { [k in P]: string } & PathParams<Rest> : unknown;

/** The path of `route` with its parameters filled in, each encoded. */
export function routePath(route: RouteKey, params: Record<string, string>): string {
  const template = route.slice(route.indexOf(' ') + 1);
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route}: the path parameter ${name} is missing`);
    return encodeURIComponent(value);
  });
}
