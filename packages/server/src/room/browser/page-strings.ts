// The meeting page's strings, in the language the server rendered the page in (`<html lang>`).
import { matchLanguage, stringsFor } from './lang/index.js';

/** Every visible string of the page comes from here. */
export const t = stringsFor(matchLanguage(document.documentElement.lang) ?? 'en');
