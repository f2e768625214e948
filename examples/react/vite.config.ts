import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` proxies /api to the back end (server.mjs) so the page and its back end
// share one origin, as they do when server.mjs serves the built page.
export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/api': `http://127.0.0.1:${process.env.PORT ?? 5174}` } },
});
