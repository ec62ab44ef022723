// The record verifier of @v4h/protocol, as this package ships it: dist/verify.js (`@v4h/client/verify`, served as
// /v4h-verify.js) bundles it, so the SDK loads it on demand and needs nothing installed at run time.
export * from '@v4h/protocol/verify';
