/**
 * What the guard captures: every v2 token stored raw (the ones influxd 2.9
 * hashes at its first start), named by its SHA-256 fingerprint. A token is
 * captured when its fingerprint is in the newest export's manifest; the
 * guard writes a new export when any raw token is not.
 *
 * Only the authorizations are decoded here (no users, orgs or permissions
 * classification): this runs before every influxd start.
 */
import type {Tx} from '../bbolt/index.js'
import {tokenFingerprint} from '../influxd/token.js'
import {eachAuthorization} from './read-model.js'

/** Fingerprints of every raw v2 token, in key order (legacy v1 authorizations are not API tokens). */
export function rawTokenFingerprints(tx: Tx): string[] {
  const out: string[] = []
  for (const d of eachAuthorization(tx)) {
    const token = d.record?.token
    if (token !== undefined && token !== '') out.push(tokenFingerprint(token))
  }
  return out
}

/** The raw tokens (by fingerprint) that `captured` lacks; all of them when there is no usable export. */
export function uncapturedFingerprints(raw: readonly string[], captured: readonly string[] | undefined): string[] {
  if (captured === undefined) return [...raw]
  const have = new Set(captured)
  return raw.filter((f) => !have.has(f))
}
