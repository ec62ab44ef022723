// Picks the meeting page's language: `?lang=` (also how the IFrame API's `lang` option arrives), else the browser's.
import { en, type Strings } from './en.js';
import { ptBR } from './pt-BR.js';

export type { Strings } from './en.js';

/** The languages the meeting page speaks. */
export const LANGUAGES = { en, 'pt-BR': ptBR } as const satisfies Record<string, Strings>;
export type Language = keyof typeof LANGUAGES;

/** Maps a BCP 47 tag to a language we speak: any `pt` is pt-BR, any `en` is English; otherwise undefined. */
export function matchLanguage(tag: string | null | undefined): Language | undefined {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  if (primary === 'pt') return 'pt-BR';
  if (primary === 'en') return 'en';
  return undefined;
}

/**
 * The page's language: the explicit choice first, then the browser's preferences in order (an Accept-Language
 * header or navigator.languages), then English.
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

/** The strings of a language. */
export const stringsFor = (language: Language): Strings => LANGUAGES[language];
