// The languages V4H's pages speak (the guest page, the demo, the built-in room) and how one is picked from a tag, a
// browser's preferences or an Accept-Language header: one rule for every page, in the browser and on the server.

/** The languages every page speaks. */
export const LANGUAGE_TAGS = ['en', 'pt-BR'] as const;
export type Language = (typeof LANGUAGE_TAGS)[number];

/** Maps a BCP 47 tag to a language we speak: any `pt` is pt-BR, any `en` is English; otherwise undefined. */
export function matchLanguage(tag: string | null | undefined): Language | undefined {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  if (primary === 'pt') return 'pt-BR';
  if (primary === 'en') return 'en';
  return undefined;
}

/**
 * A page's language: the explicit choice first (`?lang=`, the IFrame API's `lang`), then the browser's preferences in
 * order (navigator.languages, or an Accept-Language header's tags), then English.
 */
export function pickLanguage(explicit: string | null | undefined, preferred: readonly string[]): Language {
  return matchLanguage(explicit) ?? preferred.map(matchLanguage).find((l) => l !== undefined) ?? 'en';
}

/** Tags of an Accept-Language header, most preferred first. */
export function acceptLanguageTags(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(
        params
          .find((p) => p.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? 1,
      );
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((t) => t.tag && t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((t) => t.tag);
}
