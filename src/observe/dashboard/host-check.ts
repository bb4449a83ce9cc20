import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './respond';
import { show } from '../../error-message';

/**
 * Which Host headers the dashboard answers: a list of names (besides loopback and the address the
 * request arrived on), or `true` for any (only behind a proxy that checks Host itself).
 */
export type AllowedHosts = readonly string[] | true;

/** The host name of a Host header, lower case, without port or IPv6 brackets; undefined when malformed. */
function hostName(header: string): string | undefined {
  const text = header.trim().toLowerCase();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    return end > 0 && (end === text.length - 1 || /^:\d+$/.test(text.slice(end + 1))) ? text.slice(1, end) : undefined;
  }
  const match = /^([^:\s/]+)(?::\d+)?$/.exec(text);
  return match?.[1];
}

/** Names that always reach this machine: a page on another origin cannot be served from them. */
function isLoopback(name: string): boolean {
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === '::1' ||
    (isIP(name) === 4 && name.startsWith('127.'))
  );
}

/** Checks the option and normalises its names (brackets and ports dropped, lower case). */
export function resolveAllowedHosts(value: unknown): AllowedHosts {
  if (value === undefined) return [];
  if (value === true) return true;
  if (!Array.isArray(value))
    throw new TypeError(
      `breakwater/observe: dashboard option allowedHosts must be an array of host names or true, got ${show(value)}`,
    );
  return value.map((entry, index) => {
    const name = typeof entry !== 'string' ? undefined : isIP(entry) === 6 ? entry.toLowerCase() : hostName(entry);
    if (name === undefined)
      throw new TypeError(
        `breakwater/observe: dashboard option allowedHosts[${index}] must be a host name such as "dashboard.internal", got ${show(entry)}`,
      );
    return name;
  });
}

/**
 * Refuses a request whose Host header names a host the dashboard does not serve (DNS rebinding: a
 * web page whose name an attacker points at 127.0.0.1 would otherwise read the dashboard). Loopback
 * names, the address the request arrived on and `allowed` pass; anything else is a 421.
 */
export function checkHost(req: IncomingMessage, allowed: AllowedHosts): void {
  if (allowed === true) return;
  const header = req.headers.host;
  if (header === undefined) throw new HttpError(400, 'a Host header is required');
  const name = hostName(header);
  const arrivedOn = req.socket.localAddress?.replace(/^::ffff:/, '');
  if (name !== undefined && (isLoopback(name) || name === arrivedOn || allowed.includes(name))) return;
  throw new HttpError(
    421,
    `this dashboard does not answer to Host ${JSON.stringify(header)}; it answers to localhost, loopback addresses, the address it is bound to${allowed.length > 0 ? ` and ${allowed.join(', ')}` : ''}. Add the name to the dashboard option allowedHosts`,
  );
}
