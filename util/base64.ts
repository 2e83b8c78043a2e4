/** Base64 of bytes and UTF-8 text (Secret data, kubeconfig *-data fields), without Node's Buffer. */

export function encodeBase64(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
}

export function decodeBase64Text(text: string): string {
  return new TextDecoder().decode(decodeBase64(text));
}
