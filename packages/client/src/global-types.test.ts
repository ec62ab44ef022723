// A TypeScript page that loads the script tag types the global V4H with `/// <reference types="@v4h/client/global" />`:
// the built declaration (dist/global.d.ts, through the package's exports) compiles such a page and catches misuse.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Type errors of a page (a virtual file in this package, so that `@v4h/client` resolves as it would for a user). */
function typeErrors(page: string): string[] {
  const file = path.join(packageDir, 'page-using-the-script-tag.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: false,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (
    (exists) => (name: string) =>
      name === file || exists(name)
  )(host.fileExists.bind(host));
  host.readFile = (name) => (name === file ? page : readFile(name));
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, page, version) : getSourceFile(name, version, ...rest));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

// Each case runs the TypeScript compiler over the built declarations: seconds alone, far more on a busy machine.
const COMPILER_TIMEOUT = 120_000;

describe('the global V4H’s types (@v4h/client/global)', () => {
  it(
    'are built, and type a page that uses the script tag',
    () => {
      expect(fs.existsSync(path.join(packageDir, 'dist/global.d.ts')), 'npm run build -w @v4h/client').toBe(true);
      const page = `/// <reference types="@v4h/client/global" />
      const v4h = new V4H({ tokenStore: 'session' });
      async function consult(meet: HTMLElement): Promise<string> {
        await v4h.login('dr.ana', 'secret');
        const sessionId: string = await v4h.requestConference();
        await v4h.startConference(sessionId, meet, '100%', 600, 'Dr. Ana');
        v4h.registerEndedListener(() => undefined);
        try {
          return (await v4h.getGuestUrl(sessionId, 'Patient')).url;
        } catch (error) {
          if (V4H.isV4HError(error)) return error.code;
          if (error instanceof V4H.V4HError) return error.message;
          throw error;
        }
      }
      void consult;`;
      expect(typeErrors(page)).toEqual([]);
    },
    COMPILER_TIMEOUT,
  );

  it(
    'catch misuse',
    () => {
      expect(
        typeErrors(`/// <reference types="@v4h/client/global" />\nconst id: number = await new V4H().requestConference(); export { id };`).join('\n'),
      ).toMatch(/'string' is not assignable to type 'number'/);
      expect(typeErrors(`/// <reference types="@v4h/client/global" />\nnew V4H().requestConferenze();`).join('\n')).toMatch(/requestConferenze/);
      // Without the reference there is no global V4H.
      expect(typeErrors(`new V4H();`).join('\n')).toMatch(/Cannot find name 'V4H'/);
    },
    COMPILER_TIMEOUT,
  );
});
