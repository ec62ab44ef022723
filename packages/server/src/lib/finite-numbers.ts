// Ajv (with coerceTypes, as Fastify runs it) turns the text "1e309", "-1e309" or "Infinity" into ±Infinity wherever a
// schema wants a number, in a query string, a path, a header or a JSON string, and then passes it: minimum and
// maximum included (Ajv 8.20). A route would read `LIMIT Infinity` (the fuzzer found that one). Fastify's validators
// are built here with its own Ajv compiler, and those whose schema declares a number also refuse any non-finite number
// in what they validated; the other validators are Ajv's, unchanged.
import { AjvCompiler } from '@fastify/ajv-compiler';

type BuildValidators = ReturnType<typeof AjvCompiler>;
type Validate = ReturnType<ReturnType<BuildValidators>>;

/** For Fastify's `schemaController.compilersFactory.buildValidator`. Header schemas must name headers in lowercase. */
export function finiteNumberValidators(): BuildValidators {
  const build = AjvCompiler();
  return (externalSchemas, options) => {
    const compile = build(externalSchemas, options);
    return (route) => {
      const validate = compile(route);
      if (!declaresNumbers(route.schema)) return validate;
      const guarded = ((data: unknown, context?: unknown) => {
        // Fastify passes Ajv's data context (parent data) when the function has a schemaEnv: it is passed on.
        const valid = (validate as (data: unknown, context?: unknown) => boolean)(data, context);
        if (!valid) {
          guarded.errors = validate.errors;
          return false;
        }
        const path = nonFiniteNumberPath(data);
        if (path === undefined) {
          guarded.errors = null;
          return true;
        }
        guarded.errors = [{ instancePath: path, schemaPath: '#', keyword: 'type', params: { type: 'number' }, message: 'must be a finite number' }];
        return false;
      }) as Validate;
      return Object.assign(guarded, { schemaEnv: validate.schemaEnv, schema: validate.schema });
    };
  };
}

function declaresNumbers(schema: unknown): boolean {
  return /"type":(?:"(?:number|integer)"|\[[^\]]*"(?:number|integer)")/.test(JSON.stringify(schema) ?? '');
}

/** The JSON pointer of the first non-finite number in `data`, or undefined. Iterative: data may be deeply nested. */
export function nonFiniteNumberPath(data: unknown): string | undefined {
  const stack: [value: unknown, path: string][] = [[data, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}/${i}`]);
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value).reverse())
        stack.push([(value as Record<string, unknown>)[key], `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
    }
  }
  return undefined;
}
