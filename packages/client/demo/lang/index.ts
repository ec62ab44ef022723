// The demo page's strings; the language is picked as on every V4H page (@v4h/protocol/languages).
import type { Language } from '@v4h/protocol/languages';
import { en, type Strings } from './en.js';
import { ptBR } from './pt-BR.js';

export type { Strings } from './en.js';
export { matchLanguage, pickLanguage, type Language } from '@v4h/protocol/languages';

/** The demo page's strings in every language V4H speaks. */
export const LANGUAGES = { en, 'pt-BR': ptBR } as const satisfies Record<Language, Strings>;
