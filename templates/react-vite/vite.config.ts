import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The backend the dashboard talks to. 127.0.0.1 rather than localhost: Node
// may resolve localhost to ::1 first, where a backend listening on IPv4 only
// is not found. BACKEND_URL points the dev server elsewhere without an edit.
const backend = process.env.BACKEND_URL ?? "http://127.0.0.1:{{PORT}}";

// /api/* goes to the backend with the prefix removed: the same mapping as
// nginx.conf in production, so the app's code only ever calls its own origin.
const proxy = {
  "/api/": {
    target: backend,
    changeOrigin: true,
    rewrite: (path: string) => path.replace(/^\/api/, ""),
  },
};

export default defineConfig({
  plugins: [react()],
  server: { port: 5173, proxy },
  preview: { port: 4173, proxy },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["src/**/*.test.{ts,tsx}"],
          environment: "jsdom",
          setupFiles: ["./src/test/setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["integration/**/*.test.ts"],
          environment: "node",
        },
      },
    ],
  },
});
