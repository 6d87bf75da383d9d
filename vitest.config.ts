import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@": root,
      // Server modules open with `import "server-only"`, which throws outside a react-server build. Tests run
      // them in process (jsdom component tests too, through the routers), so it resolves to its no-op entry.
      "server-only": fileURLToPath(new URL("node_modules/server-only/empty.js", import.meta.url)),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/integration/global-setup.ts"],
          // One database per run; files share it, so run them one at a time.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "components",
          // React components and hooks in jsdom, talking to the real routers on a real database.
          include: ["test/components/**/*.test.tsx"],
          environment: "jsdom",
          globalSetup: ["test/integration/global-setup.ts"],
          setupFiles: ["test/components/setup.ts"],
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "http",
          include: ["test/http/**/*.test.ts"],
          environment: "node",
          // Serves the production build (`npm run build` first) on a fresh database; files share the server.
          globalSetup: ["test/http/global-setup.ts"],
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
