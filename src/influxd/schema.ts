/**
 * Which influxd metadata schema a bolt file has, read from its KV migration
 * records (`migrationsv1`, spec §4.10 and §9) and the presence of the hashed
 * token index (spec §12 items 5 and 18).
 *
 * influxd numbers its migrations 1..21 (v2.9.1) and checks each record at
 * start-up: an ID above the known count or a name that differs from the
 * known list stops it. It then resumes after the highest finished migration,
 * so a missing or unfinished lower one would never run. This module reports
 * all of that as problems, and a file with any problem as not writable.
 */
import type {Tx} from '../bbolt/index.js'
import type {PermissionLevel} from './permissions.js'

export const MIGRATIONS_BUCKET = 'migrationsv1'
export const HASHED_INDEX_BUCKET = 'authorizationhashedindexv1'

/** The migration names of influxd v2.9.1, by ID (index 0 is migration 1). */
export const MIGRATION_NAMES: readonly string[] = Object.freeze([
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
])

/** How many migrations this tool knows (influxd 2.8.0 – 2.9.1). */
export const KNOWN_MIGRATION_COUNT = MIGRATION_NAMES.length

/** The last migration each release line records. */
export const LAST_MIGRATION_OF = Object.freeze({'2.0': 15, '2.1': 18, '2.2': 19, '2.3-2.7': 20, '2.8+': 21})

export type SchemaLevel = '≤2.0' | '2.1' | '2.2' | '2.3-2.7' | '2.8+' | 'unknown'

export interface MigrationInfo {
  /** the migration number (key decoded as hex) */
  id: number
  /** the bucket key, as stored */
  key: string
  /** the stored name ("" when the record could not be decoded) */
  name: string
  /** influxd's name for this ID, null for IDs it does not know */
  expectedName: string | null
  finished: boolean
  startedAt: string | null
  finishedAt: string | null
  /** false when the record's JSON could not be decoded as influxd would */
  decoded: boolean
}

export interface SchemaInfo {
  /** the highest ID whose record is finished; 0 when none */
  highestFinished: number
  level: SchemaLevel
  /** e.g. "InfluxDB 2.3 – 2.7" */
  influxdRange: string
  /** the permission generation tokens are expected at for this level (2.2+ when unknown) */
  permissionLevel: PermissionLevel
  /** every record with a decodable key, by ID */
  migrations: MigrationInfo[]
  /** reasons influxd would refuse the file, or that make writing to it unsafe */
  problems: string[]
  /** informational remarks that do not block writing */
  notes: string[]
  /** the `authorizationhashedindexv1` bucket exists */
  hasHashedIndex: boolean
  /** the `migrationsv1` bucket exists */
  hasMigrationsBucket: boolean
  /** false when there is any problem or the level is unknown */
  writable: boolean
}

/** The 16-hex key influxd stores migration `id` under. */
export function migrationKey(id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`invalid migration id ${id}`)
  return id.toString(16).padStart(16, '0')
}

/** The schema level a highest-finished migration number implies. */
export function levelForMigration(highestFinished: number): SchemaLevel {
  if (!Number.isSafeInteger(highestFinished) || highestFinished < 1 || highestFinished > KNOWN_MIGRATION_COUNT) return 'unknown'
  if (highestFinished <= 15) return '≤2.0'
  if (highestFinished <= 18) return '2.1'
  if (highestFinished === 19) return '2.2'
  if (highestFinished === 20) return '2.3-2.7'
  return '2.8+'
}

const RANGES: Record<SchemaLevel, string> = {
  '≤2.0': 'InfluxDB 2.0.x',
  '2.1': 'InfluxDB 2.1',
  '2.2': 'InfluxDB 2.2',
  '2.3-2.7': 'InfluxDB 2.3 – 2.7',
  '2.8+': 'InfluxDB 2.8 or later',
  unknown: 'unknown InfluxDB version',
}

/** A human description of the releases that write a schema level. */
export function influxdRangeFor(level: SchemaLevel): string {
  return RANGES[level]
}

/** The permission generation of a schema level: operator and all-access tokens have that many types. */
export function permissionLevelFor(level: SchemaLevel): PermissionLevel {
  switch (level) {
    case '≤2.0': return '2.0'
    case '2.1': return '2.1'
    default: return '2.2+'
  }
}

const KEY_SHAPE = /^[0-9a-fA-F]{16}$/
/** What Go's time.Time accepts from JSON (RFC 3339, optional fraction). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/

function describe(id: number, name: string): string {
  return `migration ${id} ${JSON.stringify(name)}`
}

/** "migration 18" or "migrations 18–21". */
function span(from: number, to: number): string {
  return from === to ? `migration ${from}` : `migrations ${from}–${to}`
}

interface DecodedRecord {
  name: string
  startedAt: string | null
  finishedAt: string | null
}

/** Decodes one record the way influxd's json.Unmarshal into Migration would accept it; throws with the reason. */
function decodeRecord(value: Buffer, key: string, problems: string[]): DecodedRecord {
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch (err) {
    throw new Error(`not JSON (${(err as Error).message})`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object')
  const rec = parsed as Record<string, unknown>
  const str = (field: string): string | null => {
    const v = rec[field]
    if (v === undefined || v === null) return null
    if (typeof v !== 'string') throw new Error(`"${field}" is not a string`)
    return v
  }
  const id = str('id')
  if (id !== null) {
    if (!KEY_SHAPE.test(id) || /^0+$/.test(id)) throw new Error(`"id" ${JSON.stringify(id)} is not a valid ID`)
    if (id.toLowerCase() !== key.toLowerCase()) problems.push(`migration record under key ${key} says id ${id}`)
  }
  const name = str('name') ?? ''
  const startedAt = str('started_at')
  const finishedAt = str('finished_at')
  for (const [field, t] of [['started_at', startedAt], ['finished_at', finishedAt]] as const) {
    if (t !== null && (!RFC3339.test(t) || Number.isNaN(Date.parse(t)))) throw new Error(`"${field}" ${JSON.stringify(t)} is not an RFC 3339 time`)
  }
  return {name, startedAt, finishedAt}
}

/**
 * Reads `migrationsv1` (and checks for `authorizationhashedindexv1`) in the
 * given transaction and reports the schema, its level and every problem.
 */
export function detectSchema(tx: Tx): SchemaInfo {
  const problems: string[] = []
  const notes: string[] = []
  const migrations: MigrationInfo[] = []
  const hasHashedIndex = tx.bucket(Buffer.from(HASHED_INDEX_BUCKET)) !== undefined
  const bucket = tx.bucket(Buffer.from(MIGRATIONS_BUCKET))

  if (bucket === undefined) {
    problems.push(`bucket "${MIGRATIONS_BUCKET}" is missing: not an influxd metadata file, or one influxd never initialised`)
  } else {
    bucket.forEach((k, v) => {
      const key = k.toString('latin1')
      const shown = JSON.stringify(k.toString('utf8'))
      if (v === null) {
        problems.push(`${MIGRATIONS_BUCKET} holds a nested bucket ${shown}; influxd cannot read it`)
        return
      }
      if (!KEY_SHAPE.test(key)) {
        problems.push(`migration key ${shown} is not a 16-hex-digit migration ID`)
        return
      }
      const id = Number.parseInt(key, 16)
      if (id === 0 || !Number.isSafeInteger(id)) {
        problems.push(`migration key ${shown} is not a valid migration ID`)
        return
      }
      if (key !== key.toLowerCase()) problems.push(`migration key ${shown} is not in influxd's lowercase form`)
      const expectedName = id <= KNOWN_MIGRATION_COUNT ? MIGRATION_NAMES[id - 1]! : null
      let info: MigrationInfo
      try {
        const rec = decodeRecord(v, key, problems)
        info = {id, key, name: rec.name, expectedName, finished: rec.finishedAt !== null, startedAt: rec.startedAt, finishedAt: rec.finishedAt, decoded: true}
      } catch (err) {
        problems.push(`migration ${id}: undecodable record: ${(err as Error).message}`)
        info = {id, key, name: '', expectedName, finished: false, startedAt: null, finishedAt: null, decoded: false}
      }
      migrations.push(info)
    })
    migrations.sort((a, b) => a.id - b.id)
    if (migrations.length === 0 && problems.length === 0) {
      problems.push(`bucket "${MIGRATIONS_BUCKET}" is empty: influxd never initialised this file`)
    }
  }

  const seen = new Map<number, MigrationInfo>()
  for (const m of migrations) {
    if (seen.has(m.id)) problems.push(`migration ${m.id} is recorded more than once (keys differing only in case)`)
    seen.set(m.id, m)
  }

  let highestFinished = 0
  for (const m of migrations) if (m.finished && m.id > highestFinished) highestFinished = m.id

  for (const m of migrations) {
    if (!m.decoded) continue
    if (m.expectedName === null) {
      problems.push(`unknown ${describe(m.id, m.name)}: written by an influxd newer than the ${KNOWN_MIGRATION_COUNT} migrations this tool knows (2.9.x); refusing to write`)
    } else if (m.name !== m.expectedName) {
      problems.push(`migration ${m.id}: expected name ${JSON.stringify(m.expectedName)}, found ${JSON.stringify(m.name)}`)
    }
    if (!m.finished) {
      problems.push(`${describe(m.id, m.name)} was started${m.startedAt !== null ? ` at ${m.startedAt}` : ''} but never finished (influxd stopped mid-migration)`)
    }
  }

  for (let id = 1; id < highestFinished; id++) {
    const m = seen.get(id)
    const name = id <= KNOWN_MIGRATION_COUNT ? MIGRATION_NAMES[id - 1]! : '?'
    if (m === undefined) {
      problems.push(`${describe(id, name)} is missing although migration ${highestFinished} is finished: influxd would never run it`)
    } else if (!m.finished) {
      problems.push(`${describe(id, name)} is unfinished although migration ${highestFinished} is finished: influxd would never complete it`)
    }
  }

  const level = levelForMigration(highestFinished)

  if (highestFinished >= 21 && !hasHashedIndex) {
    problems.push(`migration 21 is recorded but bucket "${HASHED_INDEX_BUCKET}" is missing: influxd 2.9 refuses to start`)
  }
  if (hasHashedIndex && highestFinished > 0 && highestFinished < 21) {
    notes.push(`bucket "${HASHED_INDEX_BUCKET}" exists although migration 21 is not recorded (harmless: influxd 2.8+ creates it only if missing, older releases ignore it)`)
  }
  if (level === '2.1' && highestFinished < LAST_MIGRATION_OF['2.1']) {
    notes.push(`${span(highestFinished + 1, LAST_MIGRATION_OF['2.1'])} of the 2.1 line ${highestFinished + 1 === LAST_MIGRATION_OF['2.1'] ? 'is' : 'are'} not recorded: the file was last opened by a 2.1 pre-release build (a released 2.1 records all ${LAST_MIGRATION_OF['2.1']})`)
  }
  if (level !== 'unknown' && highestFinished < KNOWN_MIGRATION_COUNT) {
    notes.push(`a newer influxd runs ${span(highestFinished + 1, KNOWN_MIGRATION_COUNT)} at its next start (backing the file up first)`)
  }

  return {
    highestFinished,
    level,
    influxdRange: influxdRangeFor(level),
    permissionLevel: permissionLevelFor(level),
    migrations,
    problems,
    notes,
    hasHashedIndex,
    hasMigrationsBucket: bucket !== undefined,
    writable: problems.length === 0 && level !== 'unknown',
  }
}
