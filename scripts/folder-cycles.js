#!/usr/bin/env node
// Fails when a server folder imports a folder that imports it back, directly or through others (issue 18, "Done when").
// A node is a folder under packages/server/src (a file at the top, such as app.ts, is a node of its own); an edge is
// any relative import between two nodes, `import type` included: a type is a dependency of the design too. Tests are
// left out: they import whatever they exercise.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../packages/server/src');

/** The node a file belongs to: its first folder under src, or the file itself at the top. */
const nodeOf = (file) => path.relative(src, file).split(path.sep)[0];

function* sources(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) yield* sources(full);
    // Tests and a domain's test helpers (test-support.ts) are left out: they import whatever they exercise.
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && entry.name !== 'test-support.ts') yield full;
  }
}

const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
/** node -> (node -> one file:line that makes the edge, for the message) */
const edges = new Map();
for (const file of sources(src)) {
  const from = nodeOf(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const match of text.matchAll(importPattern)) {
    const target = path.resolve(path.dirname(file), match[1]);
    if (!target.startsWith(src + path.sep)) continue;
    // A top-level file is imported by its compiled name (`../config.js`): the node is its source (config.ts).
    const to = nodeOf(target).replace(/\.js$/, '.ts');
    if (to === from) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const line = text.slice(0, match.index).split('\n').length;
    if (!edges.get(from).has(to)) edges.get(from).set(to, `${path.relative(src, file)}:${line}`);
  }
}

// Tarjan's strongly connected components: every component of more than one node is a cycle between folders.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function visit(node) {
  index.set(node, counter);
  low.set(node, counter++);
  stack.push(node);
  onStack.add(node);
  for (const next of edges.get(node)?.keys() ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(node, Math.min(low.get(node), low.get(next)));
    } else if (onStack.has(next)) low.set(node, Math.min(low.get(node), index.get(next)));
  }
  if (low.get(node) === index.get(node)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);

if (components.length === 0) {
  console.log(`folder-cycles: no cycle between the ${edges.size} folders and top-level files of packages/server/src`);
} else {
  for (const component of components) {
    console.error(`folder-cycles: ${component.join(', ')} import each other:`);
    for (const from of component) for (const [to, where] of edges.get(from) ?? []) if (component.includes(to)) console.error(`  ${from} -> ${to} (${where})`);
  }
  process.exitCode = 1;
}
