// The text of a manifest (what is hashed and anchored), written directly from stored event rows: the server's one
// definition of it in code (the format is specified in docs/manifest.md; text.test.ts holds this writer to the JCS of
// the manifest object). Light imports only: the sealer's worker thread loads this module.
import { EVENT_FORMAT_VERSION } from '@v4h/protocol/verify';
import type { ConferenceEventsTable, ManifestsTable } from '../db/schema.js';

export const MANIFEST_FORMAT_VERSION = 1;

const str = JSON.stringify;

/** The stored fields of an event that its manifest form is written from. */
export type StoredEventFields = Pick<ConferenceEventsTable, 'seq' | 'type' | 'actor' | 'at' | 'data' | 'prev_hash' | 'hash'>;

/**
 * The same text as `canonicalize(buildManifest(input))`, written directly from the stored rows (the
 * sealer's fast path: no parse and re-serialize of every event). Members are in JCS order; `data`
 * is stored as JCS text by the event log, and JCS strings are what JSON.stringify writes.
 */
export function manifestText(input: { sessionId: string; part: number; prev: string | null; sealedAt: number; events: readonly StoredEventFields[] }): string {
  const { events } = input;
  return writeManifest({ ...input, fromSeq: events[0].seq, toSeq: events[events.length - 1].seq }, events);
}

/**
 * The text of a sealed manifest stored without its body, rebuilt from its row and the events it sealed (the
 * rows of seq `from_seq` … `to_seq`). Tampered or missing events give other text, whose hash is not the sealed one.
 */
export function storedManifestText(
  row: Pick<ManifestsTable, 'session_id' | 'part' | 'prev_hash' | 'from_seq' | 'to_seq' | 'sealed_at'>,
  events: readonly StoredEventFields[],
): string {
  const header = { sessionId: row.session_id, part: row.part, prev: row.prev_hash, sealedAt: row.sealed_at, fromSeq: row.from_seq, toSeq: row.to_seq };
  return writeManifest(header, events);
}

export interface ManifestHeader {
  sessionId: string;
  part: number;
  prev: string | null;
  sealedAt: number;
  fromSeq: number;
  toSeq: number;
}

function writeManifest(header: ManifestHeader, events: readonly StoredEventFields[]): string {
  const sessionId = str(header.sessionId);
  const time = isoTimes();
  // One string per event, then one join: cheaper to build and to hash than a long chain of concatenations.
  // SQLITE_EVENT_TEXT below is an optimisation that must write the same text: change both together.
  const texts = new Array<string>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    texts[i] =
      '{"actor":' +
      str(e.actor) +
      ',"at":"' +
      time(e.at) +
      '","data":' +
      e.data +
      ',"hash":"' +
      e.hash +
      '","prev":"' +
      e.prev_hash +
      '","seq":' +
      e.seq +
      ',"sessionId":' +
      sessionId +
      ',"type":' +
      str(e.type) +
      ',"v":' +
      EVENT_FORMAT_VERSION +
      '}';
  }
  return manifestAroundEvents(header, texts.join(','));
}

/** The manifest's text, given its events' texts joined by commas (in seq order). */
export function manifestAroundEvents(header: ManifestHeader, eventTexts: string): string {
  return (
    '{"events":[' +
    eventTexts +
    '],"fromSeq":' +
    header.fromSeq +
    ',"kind":"v4h-manifest","part":' +
    header.part +
    ',"prev":' +
    (header.prev === null ? 'null' : '"' + header.prev + '"') +
    ',"sealedAt":"' +
    new Date(header.sealedAt).toISOString() +
    '","sessionId":' +
    str(header.sessionId) +
    ',"toSeq":' +
    header.toSeq +
    ',"v":' +
    MANIFEST_FORMAT_VERSION +
    '}'
  );
}

/**
 * An event's text in its manifest, written by SQLite from a stored row `e`. Not a second definition: an optimisation
 * of writeManifest above (the sealer then reads one string per conference instead of its event rows), which it must
 * equal byte for byte; text-sql.test.ts checks that for any stored event, and where they differ writeManifest is
 * right. json_quote escapes as JSON.stringify does, for every code point; strftime writes `at` as toISOString does
 * only where SQLITE_EVENT_TEXT_EXACT holds (elsewhere the sealer writes the text in JavaScript).
 */
export const SQLITE_EVENT_TEXT = `'{"actor":' || json_quote(e.actor) || ',"at":"' || strftime('%Y-%m-%dT%H:%M:%S.', e.at / 1000, 'unixepoch') ||
  substr(e.at % 1000 + 1000, 2) || 'Z","data":' || e.data || ',"hash":"' || e.hash || '","prev":"' || e.prev_hash || '","seq":' || e.seq ||
  ',"sessionId":' || json_quote(e.session_id) || ',"type":' || json_quote(e.type) || ',"v":${EVENT_FORMAT_VERSION}}'`;

/** Where strftime writes `e.at` as toISOString does: whole milliseconds from 1970 to 9999. */
export const SQLITE_EVENT_TEXT_EXACT = `(typeof(e.at) = 'integer' and e.at between 0 and 253402300799999)`;

/**
 * `new Date(ms).toISOString()`, with the date and minute formatted once per minute: a conference's
 * events are seconds apart, and formatting a Date is most of the cost of writing an event.
 */
function isoTimes(): (ms: number) => string {
  let minute = NaN;
  let prefix = ''; // "YYYY-MM-DDTHH:MM:" of `minute`
  return (ms) => {
    // Outside whole milliseconds of the Date range, the general case (which truncates or throws).
    if (!Number.isInteger(ms) || Math.abs(ms) > 8.64e15) return new Date(ms).toISOString();
    const within = ((ms % 60_000) + 60_000) % 60_000;
    if (ms - within !== minute) {
      minute = ms - within;
      prefix = new Date(minute).toISOString().slice(0, -7); // drops "00.000Z"; throws for an invalid time, like toISOString
    }
    const s = (within / 1000) | 0;
    const m = within % 1000;
    return prefix + (s < 10 ? '0' : '') + s + (m < 10 ? '.00' : m < 100 ? '.0' : '.') + m + 'Z';
  };
}
