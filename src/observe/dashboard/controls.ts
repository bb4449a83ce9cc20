import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Registry } from '../../registry/registry';
import { HttpError } from './respond';
import { show } from '../../error-message';

/** What POST /api/circuit-breakers/:kind/:name/:action can do. */
export type ControlAction = 'reset' | 'force-open' | 'close';
export const CONTROL_ACTIONS: readonly ControlAction[] = ['reset', 'force-open', 'close'];

/** Control actions are off (false) or on behind a bearer token. */
export type ControlsOption = { token: string } | false;

/** Shortest token accepted: a guessable token would make the actions open to anyone on the network. */
export const MIN_TOKEN_LENGTH = 16;

/** Validates the controls option; returns the token, or undefined when controls are off. */
export function controlToken(controls: unknown): string | undefined {
  if (controls === undefined || controls === false) return undefined;
  const token = (controls as { token?: unknown } | null)?.token;
  if (typeof controls !== 'object' || typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) {
    throw new TypeError(
      `breakwater/observe: dashboard option controls must be false or { token } with a token of at least ${MIN_TOKEN_LENGTH} characters ` +
        `(e.g. require('node:crypto').randomBytes(24).toString('base64url')), got ${typeof token === 'string' ? `a token of ${token.length} characters` : show(controls)}`,
    );
  }
  return token;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Checks `Authorization: Bearer <token>`: 401 without credentials, 403 with wrong ones. The
 * comparison runs on SHA-256 digests with timingSafeEqual, so its time says nothing about the token.
 */
export function authorize(req: IncomingMessage, token: string): void {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (match === null)
    throw new HttpError(401, 'control actions need an Authorization: Bearer <token> header', {
      'WWW-Authenticate': 'Bearer realm="breakwater"',
    });
  if (!timingSafeEqual(digest(match[1]), digest(token)))
    throw new HttpError(403, "the bearer token is not the dashboard's control token");
}

/** Runs a control action on a registered breaker; 404 when there is no such breaker. */
export function runControl(
  registry: Pick<Registry, 'get' | 'reset' | 'forceOpen' | 'close'>,
  kind: string,
  name: string,
  action: ControlAction,
): void {
  if (registry.get(kind, name) === undefined)
    throw new HttpError(404, `no ${kind} breaker named ${JSON.stringify(name)}`);
  if (action === 'reset') registry.reset(kind, name);
  else if (action === 'force-open') registry.forceOpen(kind, name);
  else registry.close(kind, name);
}
