// A registry-wide symbol so that isV4HError works across realms and bundle copies.
const brand = Symbol.for('v4h.error');
/**
 * A failed SDK call: `code` is stable, `status` is the HTTP status (0 when no answer came).
 * @example
 * try { await v4h.login(user, pass) } catch (e) { if (isV4HError(e) && e.code === 'invalid_credentials') … }
 */
export class V4HError extends Error {
    /** Stable error code. */
    code;
    /** HTTP status of the server's answer, 0 when there was none. */
    status;
    constructor(code, message, status = 0, cause) {
        super(message, cause === undefined ? undefined : { cause });
        this.name = 'V4HError';
        this.code = code;
        this.status = status;
        this[brand] = true;
    }
}
/** True for a {@link V4HError}, also one from another window or another copy of the SDK. */
export function isV4HError(value) {
    return typeof value === 'object' && value !== null && value[brand] === true;
}
/** Shorthand for argument errors, raised before any request is made. */
export const invalidArgument = (message) => new V4HError('invalid_argument', message);
//# sourceMappingURL=errors.js.map