// What every route section shares: who is calling, the actor for the audit log, and the
// documented shapes of answers (success schemas with their headers, error references).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { actorOf, type Principal } from '../../app/auth';
import type { Tokenbank } from '../../app/tokenbank';
import { AppError } from '../../domain/refusals';

export interface Ctx {
  tb: Tokenbank;
  secure_cookies: boolean;
  /** Counts how each drop-in gateway hold ended (/metrics: tokenbank_gateway_holds_total). */
  onGatewayOutcome?: (outcome: string) => void;
}

export function who(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in first: send Authorization: Bearer <token> (POST /v1/sessions gives one).');
  return request.principal;
}

/** Invitations are answered by the user they were sent to, signed in: not by a token of the operator or a service. */
export function invitee(p: Principal) {
  if (p.kind !== 'user') throw new AppError('forbidden', 'Invitations are answered by the invited user: sign in as them.');
  return { user_id: p.user_id, email: p.email };
}
export const actor = (request: FastifyRequest) => actorOf(who(request), request.id);
/** Who is calling, as a member change needs it: their role there and their user id (null for the operator). */
export const caller = <R extends string>(request: FastifyRequest, role: R) => {
  const p = who(request);
  return { role, user_id: p.kind === 'user' ? p.user_id : null };
};
export const idem = (request: FastifyRequest) => request.headers['idempotency-key'];
export const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#', description: `error (${c})` }]));
/** A success answer and its schema: the document shows it, and the answer is serialised through it. */
export const ok = <T extends TSchema>(status: number, description: string, schema: T) => ({
  [status]: { ...schema, description, headers: ANSWER_HEADERS } as T,
});
/** The same, for a call that takes Idempotency-Key: its answer may be a replay. */
export const okKeyed = <T extends TSchema>(status: number, description: string, schema: T) => ({
  [status]: { ...schema, description, headers: KEYED_ANSWER_HEADERS } as T,
});
/** Headers of every success answer, as documented (errors carry Request-Id too, and their body names it). */
const ANSWER_HEADERS = {
  'Request-Id': { type: 'string', description: "the server's id of this request (also X-Request-Id); quote it when reporting a problem" },
};
const KEYED_ANSWER_HEADERS = {
  ...ANSWER_HEADERS,
  'Idempotent-Replayed': {
    type: 'string',
    enum: ['true'],
    description: "present on the answer to a repeated Idempotency-Key with the same body: the first call's status and body; nothing was done again",
  },
};
/** A keyed call answered from its first call: the same status and body, marked for the client. */
export function markReplay(reply: FastifyReply, replayed: boolean) {
  if (replayed) reply.header('idempotent-replayed', 'true');
}
