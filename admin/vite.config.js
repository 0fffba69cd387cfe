// Builds Medusa's admin dashboard the way @medusajs/admin-bundler does (packages/admin/admin-bundler/src/utils/
// config.ts): Vite + React + Medusa's vite plugin (the dashboard's virtual:medusa/* modules) with no extension
// sources, Tailwind 3 with Medusa's UI preset. The output goes inside the Python package so the wheel ships it.
const path = require("node:path")
const { defineConfig } = require("vite")
const react = require("@vitejs/plugin-react").default
const medusa = require("@medusajs/admin-vite-plugin").default

const root = path.resolve(__dirname, "src")
const outDir = path.resolve(__dirname, "../python/commerce/admin_ui")
const dashboard = path.dirname(require.resolve("@medusajs/dashboard"))
const ui = path.dirname(require.resolve("@medusajs/ui"))

module.exports = defineConfig({
  root,
  base: "/app/",
  logLevel: "warn",
  build: { outDir, emptyOutDir: true, target: "baseline-widely-available", chunkSizeWarningLimit: 8192 },
  define: {
    __BASE__: JSON.stringify("/app/"),
    __BACKEND_URL__: JSON.stringify(""), // same origin: the server that serves /app answers /admin
    __AUTH_TYPE__: JSON.stringify(undefined), // unset: the session cookie flow
    __JWT_TOKEN_STORAGE_KEY__: JSON.stringify(undefined),
    __STOREFRONT_URL__: JSON.stringify(""),
    __MAX_UPLOAD_FILE_SIZE__: JSON.stringify(1024 * 1024),
    "process.env": JSON.stringify({ BACKEND_URL: "" }),
  },
  css: {
    postcss: {
      plugins: [
        require("tailwindcss")({
          // ui-preset is loaded with require(): its ESM build imports tailwindcss/plugin, which fails under Vite.
          presets: [require("@medusajs/ui-preset")],
          content: [
            path.join(root, "index.html"),
            path.join(root, "**/*.{js,jsx}"),
            path.join(dashboard, "**/*.{js,mjs,ts,jsx,tsx}"),
            path.join(ui, "**/*.{js,mjs,ts,jsx,tsx}"),
          ],
          darkMode: "class",
        }),
        require("autoprefixer"),
      ],
    },
  },
  plugins: [react(), medusa({ sources: [] })],
})
