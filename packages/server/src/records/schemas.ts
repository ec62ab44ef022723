// Request and response schemas of the records routes (see docs/manifest.md for the formats themselves).
import { Type } from '@fastify/type-provider-typebox';

export const SessionIdParam = Type.Object({ sessionId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
export const TokenParam = Type.Object({ token: Type.String({ minLength: 1, maxLength: 100 }) });

// Manifests and anchors are passed through verbatim: every member is part of what a verifier hashes.
const Verbatim = (description: string) => Type.Object({}, { additionalProperties: true, description });

const Proof = Type.Object({
  leafIndex: Type.Integer(),
  treeSize: Type.Integer(),
  path: Type.Array(Type.String()),
  root: Type.String(),
});

export const Bundle = Type.Object({
  kind: Type.Literal('v4h-manifest-bundle'),
  v: Type.Literal(1),
  sessionId: Type.String(),
  hash: Type.Union([Type.String(), Type.Null()], { description: "the conference's hash: the latest sealed manifest's SHA-256" }),
  manifests: Type.Array(
    Type.Object({
      hash: Type.String(),
      manifest: Verbatim('the sealed manifest (docs/manifest.md)'),
      proof: Type.Union([Proof, Type.Null()]),
      anchor: Verbatim('{ status: "anchored", ledger, anchoredAt, … } or { status: "pending", stage, since, lastError }'),
    }),
  ),
  unsealedEvents: Type.Integer({ description: 'events logged but not sealed yet' }),
});

export const LinkBody = Type.Object(
  { expiresIn: Type.Optional(Type.Integer({ minimum: 60, description: 'seconds (default 7 days, at most 366 days)' })) },
  { additionalProperties: false },
);

export const LinkReply = Type.Object({ url: Type.String(), token: Type.String(), expiresAt: Type.String() });

export const LedgerDescription = Type.Object({
  type: Type.String(),
  publicKey: Type.Optional(Type.String({ description: 'local ledger: raw Ed25519 public key, base64url' })),
  publicKeyJwk: Type.Optional(Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String() })),
  chainId: Type.Optional(Type.Integer()),
  address: Type.Optional(Type.String({ description: 'EVM: the anchoring account' })),
  anchorData: Type.Optional(Type.String()),
});
