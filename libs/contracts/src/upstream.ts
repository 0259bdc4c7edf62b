/** ksn-proxy ↔ upstream cloud protocol (DESIGN.md "Proxy ↔ upstream cloud"). */
import { Type, type Static } from '@sinclair/typebox';
import { Verdict } from './common';

export const MAX_UPSTREAM_BATCH = 1000;

/** A batch of object keys (see keys.ts), e.g. `sha256:…` or `url:https://…/`. */
export const UpstreamLookupRequest = Type.Object(
  {
    keys: Type.Array(Type.String({ minLength: 5, maxLength: 4200 }), {
      minItems: 1,
      maxItems: MAX_UPSTREAM_BATCH,
    }),
  },
  { additionalProperties: false },
);
export type UpstreamLookupRequest = Static<typeof UpstreamLookupRequest>;

export const UpstreamVerdict = Type.Object({
  key: Type.String(),
  verdict: Verdict,
  /** Category path, segments separated by '/', e.g. `Golden Image/Operating Systems & Utilities/OS Components`. */
  category: Type.Optional(Type.String()),
  vendor: Type.Optional(Type.String()),
  /** Thumbprint (SHA-1, lower-case hex) of the signing certificate, when signed. */
  certificate: Type.Optional(Type.String()),
  /** Seconds the upstream suggests the verdict may be cached; the proxy caps it with its own TTLs. */
  ttl: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type UpstreamVerdict = Static<typeof UpstreamVerdict>;

export const UpstreamLookupResponse = Type.Object({ results: Type.Array(UpstreamVerdict) });
export type UpstreamLookupResponse = Static<typeof UpstreamLookupResponse>;

export const CategoryNode: ReturnType<typeof categoryNode> = categoryNode();
function categoryNode() {
  return Type.Recursive((self) =>
    Type.Object({ name: Type.String(), path: Type.String(), children: Type.Array(self) }),
  );
}
export type CategoryNode = Static<typeof CategoryNode>;

export const CategoriesResponse = Type.Object({ categories: Type.Array(CategoryNode) });
export type CategoriesResponse = Static<typeof CategoriesResponse>;

export const FileDetails = Type.Object({
  key: Type.String(),
  verdict: Verdict,
  category: Type.Optional(Type.String()),
  vendor: Type.Optional(Type.String()),
  product: Type.Optional(Type.String()),
  signer: Type.Optional(Type.String()),
  certificateStatus: Type.Optional(
    Type.Union([
      Type.Literal('valid'),
      Type.Literal('revoked'),
      Type.Literal('expired'),
      Type.Literal('unsigned'),
    ]),
  ),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  firstSeen: Type.Optional(Type.String()),
  users: Type.Optional(Type.Object({ day: Type.Integer(), week: Type.Integer(), month: Type.Integer() })),
  userConfidence: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  reputation: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  countries: Type.Optional(Type.Record(Type.String(), Type.Number())),
});
export type FileDetails = Static<typeof FileDetails>;

export const VerdictChange = Type.Object({
  cursor: Type.String(),
  key: Type.String(),
  verdict: Verdict,
  previous: Verdict,
  category: Type.Optional(Type.String()),
  at: Type.String(),
});
export type VerdictChange = Static<typeof VerdictChange>;

export const ChangesResponse = Type.Object({ cursor: Type.String(), changes: Type.Array(VerdictChange) });
export type ChangesResponse = Static<typeof ChangesResponse>;
