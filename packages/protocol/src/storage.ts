// The bodies of the file routes (docs/api.md): what a stored recording or attachment looks like on the wire.
import { Type, type Static } from 'typebox';

/** What a stored file is: the consultation's recording, or a document (exam results, prescription…). */
export const FileKind = Type.Union([Type.Literal('recording'), Type.Literal('attachment')]);
export type FileKind = Static<typeof FileKind>;

/** A stored file as the server lists it. */
export const StoredFile = Type.Object({
  fileId: Type.String(),
  sessionId: Type.String(),
  kind: FileKind,
  name: Type.String(),
  size: Type.Integer(),
  contentType: Type.String(),
  sha256: Type.String({ description: 'lowercase hex SHA-256 of the bytes' }),
  uploader: Type.String({ description: '`user:<username>` or `recorder`' }),
  shared: Type.Boolean({ description: 'whether the participants see it (the owner and the uploader always do)' }),
  created: Type.String({ format: 'date-time' }),
  url: Type.String({ description: 'time-limited download link (Range supported), no token needed' }),
});
export type StoredFile = Static<typeof StoredFile>;

export const FileList = Type.Object({ items: Type.Array(StoredFile) });
export type FileList = Static<typeof FileList>;
