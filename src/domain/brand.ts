/**
 * The company's brand on every HTML page (issue #14): product name, logo,
 * primary colour and support link, from the PORTICO_BRAND_* settings.
 */
export interface Brand {
  readonly productName: string;
  /** An https URL (http only for loopback hosts outside production); null: the product name alone. */
  readonly logoUrl: string | null;
  /** `#rrggbb`. */
  readonly primaryColor: string;
  /** An https or mailto: URL shown on error pages and in the footer; null: none. */
  readonly supportUrl: string | null;
}

export const DEFAULT_BRAND: Brand = { productName: 'Portico', logoUrl: null, primaryColor: '#1d4ed8', supportUrl: null };

/** The colours the stylesheet uses, derived so that every pairing meets WCAG 2.2 AA (4.5:1 for text). */
export interface Palette {
  /** Background of primary buttons and the header accent: the brand colour as configured. */
  readonly primary: string;
  /** Text on `primary`: white or near-black, whichever contrasts more. */
  readonly onPrimary: string;
  /** Links, secondary buttons, focus rings on the light backgrounds: the brand colour, darkened until it reads. */
  readonly accent: string;
}

type Rgb = readonly [number, number, number];

function parseHex(hex: string): Rgb {
  const h = hex.slice(1);
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  return [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16)) as unknown as Rgb;
}

function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** WCAG 2.x relative luminance. */
function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as unknown as Rgb;
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two `#rgb`/`#rrggbb` colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const [la, lb] = [luminance(parseHex(a)), luminance(parseHex(b))];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

const WHITE = '#ffffff';
const INK = '#111827';
/** The darkest page background text sits on (the dashboard's body); accents must read on it too. */
const PAGE_BACKGROUND = '#f3f4f6';
const AA = 4.5;

/** `#rgb` or `#rrggbb`, case-insensitive. */
export function isHexColor(value: string): boolean {
  return /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(value);
}

/** Normalizes `#ABC` to `#aabbcc`. */
export function normalizeHex(value: string): string {
  return toHex(parseHex(value));
}

/**
 * Colours for the brand: a light brand colour (a yellow, say) still gets
 * readable links and button text, because the text colours are chosen or
 * darkened for 4.5:1 instead of taken as configured.
 */
export function palette(primaryColor: string): Palette {
  const primary = normalizeHex(primaryColor);
  const onPrimary = contrast(primary, WHITE) >= contrast(primary, INK) ? WHITE : INK;
  let rgb = parseHex(primary);
  // Mix towards black in 5% steps until the accent reads on the darkest background (black always does).
  for (let i = 0; i < 60 && contrast(toHex(rgb), PAGE_BACKGROUND) < AA; i++) rgb = rgb.map((c) => c * 0.95) as unknown as Rgb;
  return { primary, onPrimary, accent: toHex(rgb) };
}

/** The origin of an image URL for CSP `img-src`, or null when it cannot be one (not http(s), unparsable). */
export function imageOrigin(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    // URL.origin is scheme://host[:port] in canonical form: no spaces, quotes or semicolons can reach the header.
    return /^https?:\/\/[A-Za-z0-9.\-[\]:]+$/.test(u.origin) ? u.origin : null;
  } catch {
    return null;
  }
}
