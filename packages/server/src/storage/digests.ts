// RFC 9530 integrity fields (`Repr-Digest`, `Content-Digest`): parse the client's SHA-256 and format ours.
import { AppError } from '../errors.js';

/**
 * The SHA-256 a client declared in `Repr-Digest` / `Content-Digest` (`sha-256=:<base64>:`), or undefined.
 * Other algorithms are ignored (RFC 9530 lets a recipient skip those it does not support); a malformed
 * sha-256 entry, or two fields that disagree, is a 400.
 */
export function declaredSha256(fields: Array<string | undefined>): Buffer | undefined {
  let declared: Buffer | undefined;
  for (const field of fields) {
    if (field === undefined) continue;
    for (const member of field.split(',')) {
      const match = /^\s*([a-z0-9-]+)\s*=\s*(.*?)\s*$/i.exec(member);
      if (!match) throw new AppError('bad_request', 'malformed digest field (expected sha-256=:<base64>:)');
      if (match[1].toLowerCase() !== 'sha-256') continue;
      const bytes = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(match[2]);
      const value = bytes ? Buffer.from(bytes[1], 'base64') : undefined;
      if (!value || value.length !== 32) throw new AppError('bad_request', 'malformed sha-256 digest (expected sha-256=:<44 base64 characters>:)');
      if (declared && !declared.equals(value)) throw new AppError('bad_request', 'Repr-Digest and Content-Digest disagree');
      declared = value;
    }
  }
  return declared;
}

/** `sha-256=:<base64>:` for a lowercase hex SHA-256. */
export function formatSha256(hex: string): string {
  return `sha-256=:${Buffer.from(hex, 'hex').toString('base64')}:`;
}
