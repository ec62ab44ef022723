// The guest page's strings; the language is picked as on every V4H page: `?lang=`, the browser's, English.
import type { Language } from '@v4h/protocol/languages';
import { en, type Strings } from './en.js';
import { ptBR } from './pt-BR.js';

export type { Strings } from './en.js';
export { matchLanguage, pickLanguage, type Language } from '@v4h/protocol/languages';

/** The guest page's strings in every language V4H speaks. */
export const LANGUAGES = { en, 'pt-BR': ptBR } as const satisfies Record<Language, Strings>;
