// A strict parser of the Prometheus text exposition format (0.0.4), for tests: it throws on anything malformed.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Parses an exposition into its families; throws Error("line N: …") at the first violation of the format. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1}: ${why}: ${line}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!meta) return; // a plain comment
      const [, kind, name, rest] = meta;
      if (!NAME.test(name)) fail('bad metric name');
      const family = families.get(name) ?? { name, type: 'untyped' as const, samples: [] };
      if (family.samples.length > 0) fail(`${kind} after the family's samples`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) fail('unknown type');
        if (families.has(name) && family.type !== 'untyped') fail('second TYPE');
        family.type = rest as Family['type'];
      } else {
        if (family.help !== undefined) fail('second HELP');
        family.help = rest;
      }
      families.set(name, family);
      return;
    }
    const sample = parseSample(line, fail);
    const family = familyOf(families, sample.name) ?? fail('a sample without a TYPE before it');
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(key)) fail('duplicate series');
    seen.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function familyOf(families: Map<string, Family>, sampleName: string): Family | undefined {
  for (const [name, family] of families) {
    if (SUFFIXES[family.type].some((suffix) => name + suffix === sampleName)) return family;
  }
  return undefined;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line) ?? fail('bad sample name');
  const name = head[1];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(i)) ?? fail('bad label');
      if (!LABEL_NAME.test(label[1]) || label[1] in labels) fail('bad or repeated label name');
      i += label[0].length;
      let value = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) fail('unterminated label value');
        if (c === '"') break;
        if (c === '\\') {
          const escaped = line[i++];
          if (escaped === 'n') value += '\n';
          else if (escaped === '\\' || escaped === '"') value += escaped;
          else fail('bad escape in a label value');
        } else value += c;
      }
      labels[label[1]] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') fail('expected , or }');
    }
    i++;
  }
  const rest = /^ (\S+)(?: (-?\d+))?$/.exec(line.slice(i)) ?? fail('expected " value [timestamp]"');
  return { name, labels, value: parseValue(rest[1], fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  // Prometheus reads values with Go's strconv.ParseFloat, which takes NaN and Inf in any case; prom-client writes
  // "Nan" for an empty event-loop-lag histogram (seen in CI), which Prometheus accepts, so we accept it too.
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail('bad value');
  return Number(text);
}

/** Buckets cumulative, ending in +Inf equal to _count, for every label set. */
function checkHistogram(family: Family) {
  const groups = new Map<string, Sample[]>();
  for (const s of family.samples.filter((s) => s.name.endsWith('_bucket'))) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, buckets] of groups) {
    const bounds = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
    for (let i = 1; i < buckets.length; i++) {
      if (!(bounds[i] > bounds[i - 1]) || buckets[i].value < buckets[i - 1].value) throw new Error(`${family.name}${key}: buckets not cumulative`);
    }
    if (bounds.at(-1) !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    const count = family.samples.find((s) => s.name === `${family.name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key);
    if (count?.value !== buckets.at(-1)!.value) throw new Error(`${family.name}${key}: +Inf bucket differs from _count`);
  }
}

/** The value of one series (0 when the family has no such series yet); labels must match exactly. */
export function valueOf(families: Map<string, Family>, sampleName: string, labels: Record<string, string> = {}): number {
  const family = familyOf(families, sampleName);
  if (!family) throw new Error(`no metric family for ${sampleName}`);
  const want = JSON.stringify(Object.entries(labels).sort());
  return family.samples.find((s) => s.name === sampleName && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value ?? 0;
}
