function binaryString(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return binary;
}

export function base64url(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return btoa(binaryString(view)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

export function base64urlJson(value: unknown): string {
  return base64url(new TextEncoder().encode(JSON.stringify(value)));
}

/** Standard, padded base64 of a UTF-8 string (the `altcha` field is plain base64). */
export function base64Utf8(text: string): string {
  return btoa(binaryString(new TextEncoder().encode(text)));
}
