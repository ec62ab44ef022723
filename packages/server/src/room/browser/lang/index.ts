// The meeting page's strings; the language is picked as on every V4H page: `?lang=` (also how the IFrame API's `lang`
// option arrives), else the browser's.
import type { Language } from '@v4h/protocol/languages';
import { en, type Strings } from './en.js';
import { ptBR } from './pt-BR.js';

export type { Strings } from './en.js';
export { acceptLanguageTags, matchLanguage, pickLanguage, type Language } from '@v4h/protocol/languages';

/** The meeting page's strings in every language V4H speaks. */
export const LANGUAGES = { en, 'pt-BR': ptBR } as const satisfies Record<Language, Strings>;

/** The strings of a language. */
export const stringsFor = (language: Language): Strings => LANGUAGES[language];
