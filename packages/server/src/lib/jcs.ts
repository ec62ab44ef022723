// RFC 8785 JSON Canonicalization Scheme: the exact bytes every verifier recomputes.
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Canonical JSON text of a value: sorted keys (UTF-16 code units), no spaces, ES number formatting. */
export function canonicalize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('JCS: non-finite number');
      // ECMAScript Number-to-String is exactly what RFC 8785 §3.2.2.3 prescribes (and -0 becomes 0).
      return JSON.stringify(value);
    case 'string':
      if (/\p{Surrogate}/u.test(value) && !isWellFormed(value)) throw new TypeError('JCS: lone surrogate in string');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalize(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`JCS: cannot serialize a ${typeof value}`);
  }
}

function isWellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}
