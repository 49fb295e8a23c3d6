/**
 * Builds influxd.bolt-shaped files with our engine for tests: the buckets a
 * real influxd creates, migrations up to a chosen schema level, users, orgs,
 * owner mappings and tokens stored raw, hashed (sha256 or sha512) or both,
 * with consistent or deliberately broken indexes. JSON is written by hand in
 * influxd's field order, independently of src/influxd, so tests compare the
 * product code against a second implementation.
 */
import {createHash} from 'node:crypto'
import {DB, type Tx} from '../../src/bbolt/index.js'

export const MIGRATION_NAMES = [
  'initial migration',
  'add index "userresourcemappingsbyuserindexv1"',
  'migrate task owner id',
  'create DBRP buckets',
  'create pkger stacks buckets',
  'delete sessionsv1 bucket',
  'Create TSM metadata buckets',
  'Create Legacy authorization buckets',
  'Create legacy auth password bucket',
  'add index "telegrafbyorgindexv1"',
  'populate dashboards owner id',
  'add index "dbrpbyorgv1"',
  'repair DBRP owner and bucket IDs',
  'add index "dbrpbyorgv1"',
  'record shard group durations in bucket metadata',
  'add annotations and notebooks resource types to operator token',
  'add annotations and notebooks resource types to all-access tokens',
  'repair missing shard group durations',
  'add remotes and replications resource types to operator and all-access tokens',
  'create remotes and replications metrics buckets',
  'create authorizationhashedindexv1 bucket',
]

const TYPES_20 = ['authorizations', 'buckets', 'dashboards', 'orgs', 'sources', 'tasks', 'telegrafs', 'users', 'variables', 'scrapers', 'secrets', 'labels', 'views', 'documents', 'notificationRules', 'notificationEndpoints', 'checks', 'dbrp']
export const RESOURCE_TYPES: Record<'2.0' | '2.1' | '2.2+', string[]> = {
  '2.0': TYPES_20,
  '2.1': [...TYPES_20, 'notebooks', 'annotations'],
  '2.2+': [...TYPES_20, 'notebooks', 'annotations', 'remotes', 'replications'],
}

export function operatorPerms(level: '2.0' | '2.1' | '2.2+'): string {
  return RESOURCE_TYPES[level].flatMap((t) => [`{"action":"read","resource":{"type":"${t}"}}`, `{"action":"write","resource":{"type":"${t}"}}`]).join(',')
}

export function allAccessPerms(level: '2.0' | '2.1' | '2.2+', org: string, user: string): string {
  return RESOURCE_TYPES[level].flatMap((t) => {
    if (t === 'orgs') return [`{"action":"read","resource":{"type":"orgs","id":"${org}"}}`]
    if (t === 'users') return [`{"action":"read","resource":{"type":"users","id":"${user}"}}`, `{"action":"write","resource":{"type":"users","id":"${user}"}}`]
    return [`{"action":"read","resource":{"type":"${t}","orgID":"${org}"}}`, `{"action":"write","resource":{"type":"${t}","orgID":"${org}"}}`]
  }).join(',')
}

export function hashOf(token: string, variant: 'sha256' | 'sha512' = 'sha256'): string {
  const digest = createHash(variant).update(token, 'utf8').digest('base64').replace(/\+/g, '-').replace(/\//g, '_')
  return `$influxdb2-${variant}$${digest}`
}

export interface TokenSpec {
  id: string
  token?: string
  /** store hashed (with this variant) instead of raw; 'both' keeps token and hash */
  hashed?: 'sha256' | 'sha512'
  both?: boolean
  status?: string
  description?: string
  orgID: string
  userID?: string
  /** raw JSON array body */
  perms: string
  createdAt?: string
  updatedAt?: string
  /** skip writing the index entry (inconsistent index) */
  noIndex?: boolean
  /** replace the whole stored value (e.g. invalid JSON) */
  rawValue?: string
}

export interface InfluxFileSpec {
  /** number of finished migrations (0 = no migrationsv1 bucket) */
  migrations: number
  /** extra migration records: [id, name, finished] */
  extraMigrations?: Array<[number, string, boolean]>
  users?: Array<{id: string; name: string; status?: string}>
  orgs?: Array<{id: string; name: string}>
  owners?: Array<{userID: string; orgID: string}>
  tokens?: TokenSpec[]
  legacy?: Array<{id: string; username: string; orgID: string; userID: string; perms: string; status?: string; description?: string}>
  /** legacy/authorizationPasswordv1 entries: [authorization ID, stored hash] (with or without a login) */
  legacyPasswords?: Array<[string, string]>
  /** member mappings of users to orgs (owners: see owners) */
  members?: Array<{userID: string; orgID: string}>
  /** bucketsv1 records with their bucketindexv1 entries */
  buckets?: Array<{id: string; orgID: string; name: string}>
  /** extra raw index entries: [bucket, key, value] */
  extraIndex?: Array<[string, string, string]>
  pageSize?: number
}

const hex16 = (n: number): string => n.toString(16).padStart(16, '0')
const put = (tx: Tx, bucket: string, key: string, value: string): void => {
  tx.createBucketIfNotExists(Buffer.from(bucket)).put(Buffer.from(key), Buffer.from(value))
}

export function buildInfluxFile(path: string, spec: InfluxFileSpec): void {
  const db = DB.build(path, (tx) => {
    for (const b of ['authorizationsv1', 'authorizationindexv1', 'bucketsv1', 'bucketindexv1', 'organizationsv1', 'organizationindexv1', 'usersv1', 'userindexv1', 'userspasswordv1', 'userresourcemappingsv1', 'onboardingv1', 'idsv1']) {
      tx.createBucketIfNotExists(Buffer.from(b))
    }
    if (spec.migrations >= 2) tx.createBucketIfNotExists(Buffer.from('userresourcemappingsbyuserindexv1'))
    if (spec.migrations >= 8) {
      tx.createBucketIfNotExists(Buffer.from('legacy/authorizationsv1'))
      tx.createBucketIfNotExists(Buffer.from('legacy/authorizationindexv1'))
    }
    if (spec.migrations >= 9) tx.createBucketIfNotExists(Buffer.from('legacy/authorizationPasswordv1'))
    if (spec.migrations >= 20) {
      tx.createBucketIfNotExists(Buffer.from('remotesv2'))
      tx.createBucketIfNotExists(Buffer.from('replicationsv2'))
    }
    if (spec.migrations >= 21) tx.createBucketIfNotExists(Buffer.from('authorizationhashedindexv1'))
    if (spec.migrations > 0) {
      const m = tx.createBucketIfNotExists(Buffer.from('migrationsv1'))
      for (let i = 1; i <= spec.migrations; i++) {
        m.put(Buffer.from(hex16(i)), Buffer.from(`{"id":"${hex16(i)}","name":${JSON.stringify(MIGRATION_NAMES[i - 1])},"started_at":"2024-01-02T03:04:05.000000001Z","finished_at":"2024-01-02T03:04:05.5Z"}`))
      }
      for (const [id, name, finished] of spec.extraMigrations ?? []) {
        m.put(Buffer.from(hex16(id)), Buffer.from(`{"id":"${hex16(id)}","name":${JSON.stringify(name)},"started_at":"2024-01-02T03:04:05Z"${finished ? ',"finished_at":"2024-01-02T03:04:06Z"' : ''}}`))
      }
    }
    put(tx, 'idsv1', 'id', '0a0b0c0d0e0f1011')
    for (const u of spec.users ?? []) {
      put(tx, 'usersv1', u.id, `{"id":"${u.id}","name":${JSON.stringify(u.name)},"status":"${u.status ?? 'active'}"}`)
      put(tx, 'userindexv1', u.name, u.id)
    }
    for (const o of spec.orgs ?? []) {
      put(tx, 'organizationsv1', o.id, `{"id":"${o.id}","name":${JSON.stringify(o.name)},"description":"","createdAt":"2024-01-02T03:04:05.123Z","updatedAt":"2024-01-02T03:04:05.123Z"}`)
      put(tx, 'organizationindexv1', o.name.trim(), o.id)
    }
    for (const {userID, orgID} of spec.owners ?? []) {
      const key = orgID + userID
      put(tx, 'userresourcemappingsv1', key, `{"userID":"${userID}","userType":"owner","mappingType":"user","resourceType":"orgs","resourceID":"${orgID}"}`)
      if (spec.migrations >= 2) put(tx, 'userresourcemappingsbyuserindexv1', `${userID}/${key}`, key)
    }
    for (const {userID, orgID} of spec.members ?? []) {
      const key = orgID + userID
      put(tx, 'userresourcemappingsv1', key, `{"userID":"${userID}","userType":"member","mappingType":"user","resourceType":"orgs","resourceID":"${orgID}"}`)
      if (spec.migrations >= 2) put(tx, 'userresourcemappingsbyuserindexv1', `${userID}/${key}`, key)
    }
    for (const b of spec.buckets ?? []) {
      put(tx, 'bucketsv1', b.id, `{"id":"${b.id}","orgID":"${b.orgID}","type":0,"name":${JSON.stringify(b.name)},"description":"","retentionPeriod":0,"shardGroupDuration":604800000000000,"createdAt":"2024-01-02T03:04:05.5Z","updatedAt":"2024-01-02T03:04:05.5Z"}`)
      put(tx, 'bucketindexv1', b.orgID + b.name, b.id)
    }
    for (const t of spec.tokens ?? []) {
      const hash = t.hashed && t.token ? hashOf(t.token, t.hashed) : undefined
      const storeToken = !t.hashed || t.both
      const fields = [`"id":"${t.id}"`]
      if (storeToken && t.token !== undefined) fields.push(`"token":${JSON.stringify(t.token)}`)
      if (hash) fields.push(`"hashedToken":${JSON.stringify(hash)}`)
      fields.push(`"status":"${t.status ?? 'active'}"`, `"description":${JSON.stringify(t.description ?? '')}`, `"orgID":"${t.orgID}"`)
      if (t.userID) fields.push(`"userID":"${t.userID}"`)
      fields.push(`"permissions":[${t.perms}]`, `"createdAt":"${t.createdAt ?? '2024-01-02T03:04:05.25-05:00'}"`, `"updatedAt":"${t.updatedAt ?? '2024-01-02T03:04:05.25-05:00'}"`)
      put(tx, 'authorizationsv1', t.id, t.rawValue ?? `{${fields.join(',')}}`)
      if (t.noIndex) continue
      if (storeToken && t.token) put(tx, 'authorizationindexv1', t.token, t.id)
      // a file below 2.8 (or downgraded) has no hashed index bucket at all
      if (hash && spec.migrations >= 21) put(tx, 'authorizationhashedindexv1', hash, t.id)
    }
    for (const l of spec.legacy ?? []) {
      put(tx, 'legacy/authorizationsv1', l.id, `{"id":"${l.id}","token":${JSON.stringify(l.username)},"status":"${l.status ?? 'active'}","description":${JSON.stringify(l.description ?? 'v1 user')},"orgID":"${l.orgID}","userID":"${l.userID}","permissions":[${l.perms}],"createdAt":"2024-01-02T03:04:05Z","updatedAt":"2024-01-02T03:04:05Z"}`)
      put(tx, 'legacy/authorizationindexv1', l.username, l.id)
    }
    for (const [id, hash] of spec.legacyPasswords ?? []) put(tx, 'legacy/authorizationPasswordv1', id, hash)
    for (const [bucket, key, value] of spec.extraIndex ?? []) put(tx, bucket, key, value)
  }, {pageSize: spec.pageSize ?? 4096})
  db.close()
}

/** A typical healthy 2.8+ file with one operator, one all-access and one custom token. */
export const ORG = '0f0e0d0c0b0a0908'
export const USER = '0a1b2c3d4e5f6071'
/** 88-character tokens shaped like influxd's (64 random bytes, base64url with padding). */
const fake = (prefix: string, fill: string): string => `${prefix}${fill.repeat(86 - prefix.length)}==`
export const TOKENS = {
  operator: fake('Op3rat0r-Token-', 'a'),
  allAccess: fake('A11-Access-Token-', 'b'),
  custom: fake('Cust0m-Token-', 'c'),
}
