// Vite: .jsx uses React's automatic runtime out of the box (no plugin needed); relative asset URLs so dist/ can be served anywhere.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true },
});
