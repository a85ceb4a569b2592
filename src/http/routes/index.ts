// Routes of HTTP API v1 (SPEC §2), one file per section. Each route: check who may call, one use case, format.
import type { FastifyInstance } from 'fastify';
import { signInRoutes } from './sign-in';
import { accountRoutes } from './accounts';
import { invitationRoutes } from './invitations';
import { extraUsageRoutes } from './extra-usage';
import { meteringRoutes } from './metering';
import { operatorRoutes } from './operator';
import { promotionRoutes, refundRoutes } from './refunds';
import { webhookRoutes } from './webhooks';
import { paymentRoutes } from './payments';
import { orgRoutes } from './orgs';
import { gatewayRoutes } from './gateway';
import type { Ctx } from './kit';

export function registerRoutes(app: FastifyInstance, ctx: Ctx) {
  signInRoutes(app, ctx);
  accountRoutes(app, ctx);
  invitationRoutes(app, ctx);
  extraUsageRoutes(app, ctx);
  meteringRoutes(app, ctx);
  operatorRoutes(app, ctx);
  refundRoutes(app, ctx);
  promotionRoutes(app, ctx);
  webhookRoutes(app, ctx);
  paymentRoutes(app, ctx);
  orgRoutes(app, ctx);
  gatewayRoutes(app, ctx);
}
