import { createHash } from 'node:crypto';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

/**
 * The explorer page inlines GraphiQL's bundle (about 9 MB) rather than loading it from a
 * CDN, so it works offline and behind firewalls; it is rendered once, with its policy.
 */
let explorer: { page: string; csp: string } | undefined;

export const renderExplorer: typeof renderGraphiQL = (options) => {
  if (!explorer) {
    const page = renderGraphiQL(options);
    explorer = { page, csp: policyFor(page) };
  }
  return explorer.page;
};

/** The Content-Security-Policy of the explorer page, once it has been rendered. */
export const explorerCsp = (): string | undefined => explorer?.csp;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The explorer's Content-Security-Policy, in place of the API's (http/security-headers.ts):
 * - scripts: only the page's own inline script, by its SHA-256, not `'unsafe-inline'`, so that
 *   markup injected into the page (through a schema description, say) runs nothing;
 * - workers: Monaco's editor, JSON and GraphQL workers, which the page builds as `blob:` URLs;
 * - styles: `'unsafe-inline'`, because Monaco and GraphiQL insert `<style>` elements and
 *   `style` attributes at run time that no hash can name (the price is CSS injection, not
 *   script);
 * - fonts and images (the favicon included) are `data:` URLs in the inlined CSS;
 * - it sends its operations to /graphql on this origin; nothing may frame it.
 */
function policyFor(page: string): string {
  // The browser hashes a script's text as its parser reads it, line ends made LF; a
  // script with a `src` has nothing inline to name.
  const scripts = [...page.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)]
    .filter(([, attributes]) => !/\bsrc\s*=/i.test(attributes ?? ''))
    .map(([, , text]) => sha256(text.replace(/\r\n?/g, '\n')));
  return [
    "default-src 'none'",
    `script-src ${scripts.join(' ')}`,
    'worker-src blob:',
    "style-src 'unsafe-inline'",
    'font-src data:',
    'img-src data:',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
