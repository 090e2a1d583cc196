/**
 * A body as the page shows it: text (JSON pretty-printed when the whole body is JSON) up to a
 * bound, or, for binary content, its size and its first bytes in hex ("binary shortened"). Used
 * for the live log's captured bodies and for the exchanges of the conformance checks a lesson runs.
 */
export interface BodyView {
  readonly size: number;
  /** How many bytes of it the page got (the rest was not kept). */
  readonly shown: number;
  readonly kind: 'empty' | 'json' | 'text' | 'binary';
  /** The text, or for binary the first bytes in hex. */
  readonly text: string;
}

/** Bytes shown in hex for a binary body. */
const HEX_BYTES = 64;

function isBinary(bytes: Buffer): boolean {
  // A NUL or a byte sequence that is not UTF-8 makes it binary; a body cut mid-character is still text.
  const text = bytes.toString('utf8');
  const replaced = (text.match(/\ufffd/g) ?? []).length;
  return bytes.includes(0) || replaced > (text.endsWith('\ufffd') ? 1 : 0) || /[\u0001-\u0008\u000e-\u001f]/.test(text);
}

/** `kept` holds the first bytes of a body of `size` bytes. */
export function bodyView(kept: Buffer, size: number): BodyView {
  if (size === 0) return { size, shown: 0, kind: 'empty', text: '' };
  if (isBinary(kept)) {
    const head = kept.subarray(0, HEX_BYTES);
    const hex = head.toString('hex').replace(/(..)(?!$)/g, '$1 ');
    return { size, shown: head.length, kind: 'binary', text: hex };
  }
  const text = kept.toString('utf8');
  if (kept.length === size) {
    try {
      return { size, shown: size, kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch {
      // not JSON: shown as it is
    }
  }
  return { size, shown: kept.length, kind: 'text', text };
}

export function base64View(base64: string | undefined, size: number): BodyView {
  if (base64 === undefined) return { size, shown: 0, kind: 'binary', text: '' };
  return bodyView(Buffer.from(base64, 'base64'), size);
}
