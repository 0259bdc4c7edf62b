/** Endpoint ↔ ksn-proxy protocol (DESIGN.md "Endpoint ↔ proxy protocol"). */
import { Type, type Static } from '@sinclair/typebox';
import { Decision, Md5, ModuleId, Sha1, Sha256, Source, Verdict } from './common';
import { MAX_URL_LENGTH } from './keys';

export const MAX_LOOKUP_ITEMS = 1000;

/**
 * One object to look up. A file carries exactly one of sha256, sha1, md5;
 * a URL carries url. The shape is one flat object (not a union) so that a
 * validation error names the exact field at fault.
 */
export const LookupItem = Type.Object(
  {
    type: Type.Union([Type.Literal('file'), Type.Literal('url')]),
    sha256: Type.Optional(Sha256),
    sha1: Type.Optional(Sha1),
    md5: Type.Optional(Md5),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH })),
  },
  { additionalProperties: false },
);
export type LookupItem = Static<typeof LookupItem>;

export const LookupRequest = Type.Object(
  {
    module: ModuleId,
    items: Type.Array(LookupItem, { minItems: 1, maxItems: MAX_LOOKUP_ITEMS }),
  },
  { additionalProperties: false },
);
export type LookupRequest = Static<typeof LookupRequest>;

export const LookupResult = Type.Object({
  /** Normalised object key, e.g. `sha256:…`, `md5:…`, `url:https://…/`. */
  key: Type.String(),
  verdict: Verdict,
  category: Type.Optional(Type.String()),
  decision: Decision,
  source: Source,
  /** Seconds this answer may be reused by the endpoint. */
  ttl: Type.Integer({ minimum: 0 }),
  /** Why the decision was taken when it was not the verdict's default (override, rule id). */
  reason: Type.Optional(Type.String()),
});
export type LookupResult = Static<typeof LookupResult>;

export const LookupResponse = Type.Object({ results: Type.Array(LookupResult) });
export type LookupResponse = Static<typeof LookupResponse>;

/** Kinds of data an endpoint may send; each maps to one "sending" switch of the policy. */
export const TELEMETRY_KINDS = ['statistics', 'detected-objects', 'urls'] as const;
export const TelemetryKind = Type.Union(TELEMETRY_KINDS.map((k) => Type.Literal(k)));
export type TelemetryKind = Static<typeof TelemetryKind>;

export const TelemetryRequest = Type.Object(
  {
    kind: TelemetryKind,
    records: Type.Array(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()), {
      minItems: 1,
      maxItems: 1000,
    }),
  },
  { additionalProperties: false },
);
export type TelemetryRequest = Static<typeof TelemetryRequest>;

export const TokenResponse = Type.Object({
  token: Type.String(),
  deviceId: Type.String(),
  groupId: Type.String(),
  expiresAt: Type.String(),
});
export type TokenResponse = Static<typeof TokenResponse>;

/**
 * Proxy → security-center: renew a device token (`POST /api/v1/proxy/token-refresh`,
 * proxy API key). The proxy forwards what the device sent to its `POST /v1/token/refresh`.
 * 401 `invalid_token` when the token is not one security-center issued or has expired
 * beyond the grace period; 403 `device_revoked` for a revoked device.
 */
export const TokenRefreshRequest = Type.Object(
  { token: Type.String({ minLength: 10, maxLength: 4096 }) },
  { additionalProperties: false },
);
export type TokenRefreshRequest = Static<typeof TokenRefreshRequest>;
