// The bodies of the records routes: the manifest bundle, verification links, the ledger description (docs/manifest.md).
import { Type, type Static } from 'typebox';
import type { Anchor, InclusionProof, Manifest, ManifestBundle as BundleFormat } from './verify/format.js';

// Manifests and anchors are passed through verbatim (every member is part of what a verifier hashes): their JSON
// schema takes any object, their type is the record format of verify/format.ts.
const Verbatim = <T>(description: string) => Type.Unsafe<T>(Type.Object({}, { additionalProperties: true, description }));

const Proof = Type.Object({
  leafIndex: Type.Integer(),
  treeSize: Type.Integer(),
  path: Type.Array(Type.String()),
  root: Type.String(),
});

/** What the manifest route, verification links and `v4h verify` exchange. */
export const ManifestBundle = Type.Object({
  kind: Type.Literal('v4h-manifest-bundle'),
  v: Type.Literal(1),
  sessionId: Type.String(),
  hash: Type.Union([Type.String(), Type.Null()], { description: "the conference's hash: the latest sealed manifest's SHA-256" }),
  manifests: Type.Array(
    Type.Object({
      hash: Type.String(),
      manifest: Verbatim<Manifest>('the sealed manifest (docs/manifest.md)'),
      proof: Type.Union([Proof, Type.Null()]),
      anchor: Verbatim<Anchor>('{ status: "anchored", ledger, anchoredAt, … } or { status: "pending", stage, since, lastError }'),
    }),
  ),
  unsealedEvents: Type.Integer({ description: 'events logged but not sealed yet' }),
});
/** The bundle as the verifier reads it; the schema above describes exactly this type (checked below by tsc). */
export type ManifestBundle = BundleFormat;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Fail to compile when the schemas and the record format drift apart.
export const bundleSchemaIsTheFormat: Same<Static<typeof ManifestBundle>, BundleFormat> = true;
export const proofSchemaIsTheFormat: Same<Static<typeof Proof>, InclusionProof> = true;

export const LinkBody = Type.Object(
  { expiresIn: Type.Optional(Type.Integer({ minimum: 60, description: 'seconds (default 7 days, at most 366 days)' })) },
  { additionalProperties: false },
);
export type LinkBody = Static<typeof LinkBody>;

export const LinkReply = Type.Object({ url: Type.String(), token: Type.String(), expiresAt: Type.String() });
export type LinkReply = Static<typeof LinkReply>;

/** What GET /.well-known/v4h-ledger.json publishes. */
export const LedgerDescription = Type.Object({
  type: Type.String(),
  publicKey: Type.Optional(Type.String({ description: 'local ledger: raw Ed25519 public key, base64url' })),
  publicKeyJwk: Type.Optional(Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String() })),
  chainId: Type.Optional(Type.Integer()),
  address: Type.Optional(Type.String({ description: 'EVM: the anchoring account' })),
  anchorData: Type.Optional(Type.String()),
});
export type LedgerDescription = Static<typeof LedgerDescription>;
