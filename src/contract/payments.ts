// Wire schemas of the card provider's routes (docs/payments.md): confirming a purchase the bank
// asked about (3-D Secure) and the provider's signed webhooks.
import { Type } from '@sinclair/typebox';
import { Id } from './schemas';

const closed = { additionalProperties: false } as const;

export const PurchaseParams = Type.Object({ id: Id, purchase_id: Id }, closed);

export const ProviderWebhookReceipt = Type.Object(
  {
    received: Type.Boolean({ description: 'the signature was good and the event was read' }),
    applied: Type.Boolean({ description: 'the event changed something (false: a duplicate, a type Tokenbank does not act on, or about nothing it knows)' }),
    duplicate: Type.Boolean({ description: 'this event id was applied before; nothing was done again' }),
  },
  closed,
);
