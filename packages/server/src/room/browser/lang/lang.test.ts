// The meeting page's language choice and the completeness of every language's strings.
import { describe, expect, it } from 'vitest';
import { acceptLanguageTags, LANGUAGES, pickLanguage } from './index.js';

describe('meeting page language', () => {
  it('takes the explicit choice, then the browser preferences in q order, then English', () => {
    expect(pickLanguage('pt-BR', ['en-US'])).toBe('pt-BR');
    expect(pickLanguage('pt_br', [])).toBe('pt-BR');
    expect(pickLanguage('en', ['pt-BR'])).toBe('en');
    expect(pickLanguage('de', ['pt-PT', 'en'])).toBe('pt-BR');
    expect(pickLanguage(undefined, acceptLanguageTags('de-DE,en;q=0.5,pt;q=0.8'))).toBe('pt-BR');
    expect(pickLanguage(undefined, acceptLanguageTags('fr, de;q=0.9'))).toBe('en');
    expect(pickLanguage('', acceptLanguageTags(undefined))).toBe('en');
    expect(acceptLanguageTags('en;q=0, pt-BR')).toEqual(['pt-BR']);
  });

  it('has every key in every language, none left empty or in English by mistake', () => {
    const keys = (o: object, prefix = ''): string[] =>
      Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
    const en = keys(LANGUAGES.en).sort();
    expect(keys(LANGUAGES['pt-BR']).sort()).toEqual(en);
    const flat = (o: object): unknown[] => Object.values(o).flatMap((v) => (v && typeof v === 'object' ? flat(v) : [v]));
    const pt = flat(LANGUAGES['pt-BR']).filter((v): v is string => typeof v === 'string');
    const english = new Set(flat(LANGUAGES.en));
    // Words the same in both languages.
    const same = new Set(['Chat']);
    expect(pt.filter((s) => !s || (english.has(s) && !same.has(s)))).toEqual([]);
  });
});
