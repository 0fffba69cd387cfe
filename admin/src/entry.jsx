// Medusa's dashboard, unchanged, with no extensions (admin-bundler's entry without plugins).
import App from "@medusajs/dashboard"
import React from "react"
import ReactDOM from "react-dom/client"
import "./index.css"

ReactDOM.createRoot(document.getElementById("medusa")).render(
  <React.StrictMode>
    <App plugins={[]} />
  </React.StrictMode>,
)
