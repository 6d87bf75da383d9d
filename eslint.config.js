import js from "@eslint/js";
import nextPlugin from "@next/eslint-plugin-next";
import prettier from "eslint-config-prettier";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

// Layer rules (docs/ARCHITECTURE.md, "Layers"); test/unit/lint-rules.test.ts checks that each one fires.
// An import path in any spelling: the @/ alias or relative (../../server/db).
const layerPath = (folders) => `^(@/|(\\.\\.?/)+)(${folders})(/.*)?$`;
const onlyInDb = {
  selector: "NewExpression[callee.name='PrismaClient']",
  message: "Construct Prisma clients only in server/db.",
};
const serverOnly = {
  selector: "Program:not(:has(ImportDeclaration[source.value='server-only']))",
  message: 'Server code opens with import "server-only", so a client bundle that reaches it fails the build.',
};

export default tseslint.config(
  {
    ignores: [
      ".next/**",
      ".next-*/**",
      "node_modules/**",
      "server/db/generated/**",
      "data/**",
      "playwright-report/**",
      "test-results/**",
      "next-env.d.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@next/next": nextPlugin, "react-hooks": reactHooks },
    rules: {
      ...nextPlugin.configs.recommended.rules,
      ...nextPlugin.configs["core-web-vitals"].rules,
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name='PrismaClient']",
          message: "Construct Prisma clients only in server/db.",
        },
      ],
    },
  },
  {
    name: "rewind/layers/domain",
    files: ["server/domain/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        onlyInDb,
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: "Domain code takes time as a parameter (now: Date).",
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "Domain code takes time as a parameter (now: Date); new Date(x) with an argument is fine.",
        },
      ],
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["@prisma/*", "node:fs", "node:child_process"],
              message: "Domain code is pure: no Prisma, files or processes.",
            },
            {
              regex: "(^|/)(services|api|db|auth|jobs)(/|$)|(^|/)(env|settings)(\\.js)?$",
              message:
                "Domain code is pure: services, the database, tRPC and the environment call it, never the reverse.",
            },
          ],
        },
      ],
    },
  },
  {
    name: "rewind/layers/ui",
    files: ["app/**", "components/**"],
    ignores: ["app/api/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: layerPath("server/db|server/services"),
              allowTypeImports: true,
              message:
                "Pages and components read through tRPC: server/api/server-caller.ts on the server, components/trpc.ts in the browser.",
            },
          ],
        },
      ],
    },
  },
  {
    name: "rewind/layers/client-components",
    files: ["components/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: layerPath("server/db|server/services|server/api|server/auth|server/jobs"),
              allowTypeImports: true,
              message:
                "Components run in the browser: they import server/domain and types only, and read through tRPC.",
            },
          ],
        },
      ],
    },
  },
  {
    name: "rewind/layers/services",
    files: ["server/services/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "(^|/)server/api(/|$)|^\\.\\./\\.\\./api(/|$)|^(@/|(\\.\\./)+)(app|components)(/|$)",
              message: "Services are called by tRPC, route handlers and CLIs; they never import them or the UI.",
            },
          ],
        },
      ],
    },
  },
  {
    name: "rewind/server-only",
    files: [
      "server/services/**",
      "server/api/**",
      "server/auth/**",
      "server/jobs/**",
      "server/db/**",
      "server/settings.ts",
    ],
    // Loaded by prisma.config.ts, which the Prisma CLI runs without the react-server condition.
    ignores: ["server/db/url.ts", "server/db/migrate-adapters.ts"],
    rules: { "no-restricted-syntax": ["error", onlyInDb, serverOnly] },
  },
  // HTTP tests read untyped JSON responses, as a machine client in any language would.
  {
    files: ["test/http/**"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
    },
  },
  {
    files: ["server/db/index.ts"],
    rules: { "no-restricted-syntax": ["error", serverOnly] },
  },
  // tsc (checkJs) already knows the globals of the few JS files.
  {
    files: ["**/*.js", "**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, "no-undef": "off" },
  },
  prettier,
);
