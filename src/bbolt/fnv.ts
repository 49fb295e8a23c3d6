/**
 * 64-bit FNV-1a, the meta page checksum. Computed with two 32-bit halves so it
 * stays exact without BigInt in the loop; returns the result as a bigint.
 */
export function fnv1a64(bytes: Uint8Array, start = 0, end = bytes.length): bigint {
  // offset basis 0xcbf29ce484222325 split into 16-bit limbs (lowest first)
  let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2
  for (let i = start; i < end; i++) {
    h0 ^= bytes[i]
    // multiply by prime 0x100000001b3: h * 0x1b3 + (h << 40)
    const t0 = h0 * 0x1b3
    const t1 = h1 * 0x1b3
    const t2 = h2 * 0x1b3
    const t3 = h3 * 0x1b3
    // h << 40 adds h0 << 40 (limb 2 gets h0 << 8) and h1 << 56 (limb 3 gets h1 << 8)
    let c = t0
    const n0 = c & 0xffff
    c = t1 + (c >>> 16)
    const n1 = c & 0xffff
    c = t2 + (h0 << 8) + Math.floor(c / 0x10000)
    const n2 = c & 0xffff
    c = t3 + (h1 << 8) + Math.floor(c / 0x10000)
    const n3 = c & 0xffff
    h0 = n0; h1 = n1; h2 = n2; h3 = n3
  }
  return (BigInt(h3) << 48n) | (BigInt(h2) << 32n) | (BigInt(h1) << 16n) | BigInt(h0)
}
