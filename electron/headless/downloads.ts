import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExportDestination } from '../inventory/hardware-info-export';

/** The URL path downloads are served under. */
export const DOWNLOAD_PATH = '/download/';
/** How long an offered file waits for the browser to fetch it. */
const OFFER_LIFETIME_MS = 60_000;

interface Offer {
  name: string;
  text: string;
  timer: NodeJS.Timeout;
}

/**
 * Files the core hands to the browser in headless mode (an export): each waits under a random ticket until the page
 * fetches it once, for a minute at most. The page gets only the ticket's URL through the API, never the file, so an
 * export with passwords goes from the core to the browser's download folder without passing through the page's code.
 */
export class DownloadShelf {
  private readonly offers = new Map<string, Offer>();

  /** The destination the core exports to in headless mode. */
  readonly destination: ExportDestination = {
    kind: 'download',
    offer: (file) => this.offer(file.name, file.text),
  };

  /** Shelves a file; the answer is the URL path to fetch it from (with the launch token added by whoever follows it). */
  offer(name: string, text: string): string {
    const ticket = randomBytes(18).toString('base64url');
    const timer = setTimeout(() => this.offers.delete(ticket), OFFER_LIFETIME_MS);
    timer.unref();
    this.offers.set(ticket, { name, text, timer });
    return `${DOWNLOAD_PATH}${ticket}`;
  }

  /** The file under `ticket`, removed from the shelf, or undefined when there is none (taken, expired, made up). */
  take(ticket: string): { name: string; text: string } | undefined {
    const offer = this.offers.get(ticket);
    if (!offer) return undefined;
    this.offers.delete(ticket);
    clearTimeout(offer.timer);
    return { name: offer.name, text: offer.text };
  }

  clear(): void {
    for (const offer of this.offers.values()) clearTimeout(offer.timer);
    this.offers.clear();
  }
}

/**
 * Answers `GET /download/<ticket>?token=…`: the file as an attachment, once. `tokenValid` checks the launch token, as
 * for the API: a ticket alone is not enough.
 */
export function serveDownload(
  shelf: DownloadShelf,
  tokenValid: (given: string | null) => boolean,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method !== 'GET') {
    response.writeHead(405, { Allow: 'GET' }).end();
    return;
  }
  if (!tokenValid(url.searchParams.get('token'))) {
    response.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Forbidden: this download needs the token of the page that asked for it.');
    return;
  }
  const file = shelf.take(url.pathname.slice(DOWNLOAD_PATH.length));
  if (!file) {
    response
      .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
      .end('This download was already taken or has expired (a minute after the export): export again.');
    return;
  }
  const body = Buffer.from(file.text, 'utf8');
  response.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
    'Content-Disposition': `attachment; filename="${file.name}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': "default-src 'none'",
  });
  response.end(body);
}
