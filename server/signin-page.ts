// The sign-in form a browser without the dashboard's key gets instead of the page: one
// password field, posted to /signin with the address the user asked for, so a deep link
// (?select=…, ?trace=…) opens where it pointed once the key is given. Plain HTML with
// no script, so its CSP can forbid scripts entirely.

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function signInHtml(o: { action: string; next: string; message: string; error?: boolean }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>podnet — sign in</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { display: grid; place-items: center; min-height: 100vh; margin: 0; background: Canvas; color: CanvasText; }
  form { width: min(26rem, 90vw); display: grid; gap: .75rem; padding: 1.5rem; border: 1px solid #8886; border-radius: .5rem; }
  h1 { font-size: 1.25rem; margin: 0; }
  p { margin: 0; line-height: 1.4; font-size: .95rem; }
  .error { color: #c62828; font-weight: 600; }
  input { font: inherit; padding: .5rem; border: 1px solid #8888; border-radius: .25rem; }
  button { font: inherit; padding: .5rem; border-radius: .25rem; border: 0; background: #1565c0; color: white; cursor: pointer; }
  code { font-size: .85rem; }
</style></head>
<body>
<form method="post" action="${escapeHtml(o.action)}" data-testid="signin">
  <h1>podnet dashboard</h1>
  <p${o.error ? ' class="error" role="alert"' : ''}>${escapeHtml(o.message)}</p>
  <label for="key">Key</label>
  <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
  <input type="hidden" name="next" value="${escapeHtml(o.next)}">
  <button type="submit">Sign in</button>
  <p><code>podnet up</code> and <code>podnet dashboard</code> print this page's URL with its key once. The key is in the file given with <code>--token-file</code>, or the one they made: <code>podnet lab status --json</code> names it (<code>dashboardTokenFile</code>).</p>
</form>
</body></html>
`;
}
