// The server's consent texts, per language, and how a participant's language picks one (issue 21).

/** What participants are shown when the owner gives no text of their own: pt-BR and en. */
export const DEFAULT_CONSENT_TEXTS: Readonly<Record<string, string>> = {
  'pt-BR':
    'Esta consulta será gravada (vídeo e áudio) e a gravação fará parte do registro do atendimento. ' +
    'Ela é guardada com segurança e só é acessada por quem tem direito a ela. ' +
    'Você pode recusar agora ou retirar o consentimento a qualquer momento: a gravação não começa, ou é interrompida. ' +
    'Você concorda com a gravação?',
  en:
    'This consultation will be recorded (video and audio), and the recording will be part of the record of your care. ' +
    'It is stored securely and accessed only by those entitled to it. ' +
    'You may decline now or withdraw your consent at any time: the recording does not start, or is stopped. ' +
    'Do you agree to be recorded?',
};

export const DEFAULT_LOCALE = 'pt-BR';

/**
 * The language of `texts` to show for a requested tag: the same tag (any case), else one of the same language
 * (`pt-PT` → `pt-BR`), else `fallback`.
 */
export function pickLocale(texts: Readonly<Record<string, string>>, requested: string | undefined, fallback: string): string {
  const available = Object.keys(texts);
  if (!requested) return fallback;
  const tag = requested.toLowerCase();
  const exact = available.find((l) => l.toLowerCase() === tag);
  if (exact) return exact;
  const language = tag.split('-')[0];
  return available.find((l) => l.toLowerCase().split('-')[0] === language) ?? fallback;
}
