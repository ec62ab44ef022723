// Path, query and raw-body schemas of the file routes; their JSON bodies are the wire's (@v4h/protocol). Both document the API in /openapi.json.
import { Type } from '@fastify/type-provider-typebox';
import { FileKind, SessionIdParam } from '@v4h/protocol';

const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const SessionId = SessionIdParam.properties.sessionId;

export const SessionParams = SessionIdParam;
export const RoomParams = Type.Object({ roomName: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,128}$', description: 'the Jitsi room name' }) });
export const FileParams = Type.Object({ sessionId: SessionId, fileId: Id });
export const SignedParams = Type.Object({ fileId: Id });

export const UploadQuery = Type.Object(
  {
    kind: FileKind,
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, pattern: '^[^/\\\\\\u0000-\\u001f\\u007f]+$', description: 'file name shown to readers (no slashes)' }),
    ),
    shared: Type.Optional(Type.Boolean({ description: 'owner: the participants see it too (default: only the owner and the uploader)' })),
  },
  { additionalProperties: false },
);

export const UploadBody = Type.Unknown({
  description: 'the file itself, streamed raw; Content-Type is its media type. Optional RFC 9530 `Repr-Digest: sha-256=:…:` is checked.',
});

export const SignedQuery = Type.Object(
  { expires: Type.Integer({ minimum: 0 }), signature: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export const Binary = Type.String({ description: 'the file bytes (206 with Content-Range for a Range request)' });

/** Why a file or a subject's data was removed: a code, never free text (it goes into the record, which nothing may change). */
export const Reason = Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$', description: 'a reason code, e.g. owner_request, data_subject_request, retention' });
export const DeleteQuery = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
export const Empty = Type.Null({ description: 'no content' });
