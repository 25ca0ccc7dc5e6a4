import { defineConfig } from 'vite'

// No React plugin: the JSX transform built into Vite is all this app needs.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: false,
    target: 'es2022',
    rollupOptions: {
      // TanStack Query marks its hooks "use client" for server-rendering frameworks; a plain SPA has nothing to keep.
      onwarn(w, warn) {
        if (w.code !== 'MODULE_LEVEL_DIRECTIVE') warn(w)
      },
    },
  },
  server: {
    // `npm run dev` talks to a local `pbx serve` on its default web port.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
})
