// Vite builds the UI into dist/, which pacsport serves at "/". `npm run dev` proxies /api
// to the pacsport named by PACSPORT_URL (default http://127.0.0.1:8080).
import { defineConfig } from "vite";

const api = process.env.PACSPORT_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: { proxy: { "/api": api } },
  preview: { proxy: { "/api": api } },
});
