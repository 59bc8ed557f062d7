const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Receipt ids are UUIDs (API.md); anything else is refused before a request is made. */
export function isReceiptId(text: string): boolean {
  return uuid.test(text);
}
