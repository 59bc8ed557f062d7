import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** What the service knows about the CDN in front of it. */
export interface EdgeTrust {
  /** Values of `x-origin-verify` that prove a request came through CloudFront (two during a rotation). */
  originSecrets: Buffer[];
}

export const originVerifyHeader = 'x-origin-verify';
export const viewerAddressHeader = 'cloudfront-viewer-address';

export function parseOriginSecrets(list: string): Buffer[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => Buffer.from(s));
}

interface RequestLike {
  ip: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The client's address. Behind CloudFront and an ALB the socket and `X-Forwarded-For` name the
 * edge, shared by everyone behind it (50 bad logins would lock out a city); CloudFront's
 * `CloudFront-Viewer-Address` names the viewer, and CloudFront overwrites any value a viewer sends.
 * It is believed only when the request also carries the origin secret that CloudFront adds, so a
 * request sent to the load balancer directly cannot choose its own address.
 */
export function clientAddress(request: RequestLike, edge: EdgeTrust): string {
  if (edge.originSecrets.length === 0) return request.ip;
  const proof = request.headers[originVerifyHeader];
  const viewer = request.headers[viewerAddressHeader];
  if (typeof proof !== 'string' || typeof viewer !== 'string') return request.ip;
  if (!edge.originSecrets.some((secret) => sameSecret(secret, proof))) return request.ip;
  return viewerIp(viewer) ?? request.ip;
}

function sameSecret(secret: Buffer, given: string): boolean {
  const candidate = Buffer.from(given);
  return candidate.length === secret.length && timingSafeEqual(candidate, secret);
}

/** `198.51.100.10:46532` or `2001:db8::1:46532` (the port is always the last field). */
function viewerIp(value: string): string | undefined {
  const cut = value.lastIndexOf(':');
  if (cut <= 0) return undefined;
  const ip = value.slice(0, cut).replace(/^\[(.*)\]$/, '$1');
  return isIP(ip) ? ip : undefined;
}
