/** The renderer's policy in both shells: the Electron window, and headless mode's pages (whose `connect-src 'self'` also lets the page open the WebSocket back to its server). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
