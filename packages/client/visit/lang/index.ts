// Picks the guest page's language: `?lang=` first, then the browser's languages, then English (as the demo page does).
import { en, type Strings } from './en.js';
import { ptBR } from './pt-BR.js';

export type { Strings } from './en.js';

export const LANGUAGES = { en, 'pt-BR': ptBR } as const satisfies Record<string, Strings>;
export type Language = keyof typeof LANGUAGES;

/** Any `pt` is pt-BR, any `en` is English; otherwise undefined. */
export function matchLanguage(tag: string | null | undefined): Language | undefined {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  if (primary === 'pt') return 'pt-BR';
  if (primary === 'en') return 'en';
  return undefined;
}

export function pickLanguage(explicit: string | null | undefined, preferred: readonly string[]): Language {
  return matchLanguage(explicit) ?? preferred.map(matchLanguage).find((l) => l !== undefined) ?? 'en';
}
