// X-Twilio-Signature: base64 HMAC of the full URL Twilio called, followed, for form posts, by
// every POST parameter's name and value sorted by name. JSON bodies (Event Streams webhook
// sinks) are covered through a bodySHA256 query parameter (hex SHA-256 of the body) that is
// part of the signed URL. The key is the account's auth token; a Twilio Webhooks rule may sign
// with its own shared key and HMAC-SHA256 instead, announced in X-Twilio-Webhooks-Signature-Settings.
import { createHash, createHmac } from 'node:crypto';
import { safeEqual, type HttpDelivery } from '../common';

const FORM = 'application/x-www-form-urlencoded';

function algorithmOf(settings: string | undefined): 'sha1' | 'sha256' | null {
  if (settings === undefined || settings.trim() === '') return 'sha1';
  const m = /algorithm\s*=\s*([A-Za-z0-9_-]+)/i.exec(settings);
  const name = m?.[1]?.toUpperCase().replace(/-/g, '_');
  if (name === undefined || name === 'HMAC_SHA1') return 'sha1';
  return name === 'HMAC_SHA256' ? 'sha256' : null;
}

/** name+value of every parameter, by name; a repeated name contributes each distinct value, sorted */
function paramString(body: string): string {
  const params = new URLSearchParams(body);
  const names = [...new Set(params.keys())].sort();
  return names.map((n) => [...new Set(params.getAll(n))].sort().map((v) => n + v).join('')).join('');
}

/**
 * Twilio signs the URL as it was configured, with or without the port: the helper libraries
 * accept either, and so do we. The raw URL is tried as received too, since normalizing it could
 * re-encode its query.
 */
function urlVariants(raw: string): string[] {
  const out = new Set<string>([raw]);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return [...out];
  }
  out.add(u.toString());
  if (u.port === '') {
    const withPort = new URL(u.toString());
    // URL drops a default port, so it is spliced in by hand
    out.add(`${withPort.protocol}//${withPort.host}:${withPort.protocol === 'https:' ? 443 : 80}${withPort.pathname}${withPort.search}`);
  } else {
    const noPort = new URL(u.toString());
    noPort.port = '';
    out.add(noPort.toString());
  }
  return [...out];
}

export function verifyTwilioSignature(delivery: HttpDelivery, secret: string): string | null {
  const signature = delivery.headers['x-twilio-signature'];
  if (signature === undefined || signature.trim() === '') return 'X-Twilio-Signature header missing';
  const algorithm = algorithmOf(delivery.headers['x-twilio-webhooks-signature-settings']);
  if (algorithm === null) return 'X-Twilio-Webhooks-Signature-Settings names an unsupported algorithm';

  let signedParams = '';
  if (delivery.contentType === FORM) {
    signedParams = paramString(delivery.rawBody);
  } else {
    let bodyHash: string | null = null;
    try {
      bodyHash = new URL(delivery.url).searchParams.get('bodySHA256');
    } catch {
      return 'the request URL cannot be parsed';
    }
    if (bodyHash === null) return 'a JSON delivery must carry bodySHA256 in its URL (Twilio adds it to signed JSON webhooks)';
    const actual = createHash('sha256').update(delivery.rawBody, 'utf8').digest('hex');
    if (!safeEqual(bodyHash.toLowerCase(), actual)) return 'the body does not match its bodySHA256';
  }
  for (const url of urlVariants(delivery.url)) {
    const expected = createHmac(algorithm, secret).update(url + signedParams, 'utf8').digest('base64');
    if (safeEqual(signature.trim(), expected)) return null;
  }
  return 'X-Twilio-Signature does not match: wrong auth token, or the URL differs from the one Twilio was given (scheme, host, port, path, query)';
}

/** The signature Twilio would send; for tests and for tools that replay deliveries. */
export function twilioSignature(secret: string, url: string, formBody: string | null, algorithm: 'sha1' | 'sha256' = 'sha1'): string {
  return createHmac(algorithm, secret).update(url + (formBody === null ? '' : paramString(formBody)), 'utf8').digest('base64');
}
