// RFC 8785 JSON Canonicalization Scheme: the exact bytes every verifier hashes.

/** Canonical JSON text of a value: keys sorted by UTF-16 code units, no whitespace, ECMAScript number form. */
export function canonicalize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('JCS: non-finite number');
      // ECMAScript Number-to-String is what RFC 8785 §3.2.2.3 prescribes.
      return JSON.stringify(value);
    case 'string':
      // RFC 8785 §3.2.2.2: strings must be valid Unicode; a lone surrogate has no canonical form.
      if (/\p{Surrogate}/u.test(value) && !isWellFormed(value)) throw new TypeError('JCS: lone surrogate in string');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
      // Default string comparison in JS compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
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
