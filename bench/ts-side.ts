// One benchmark operation on our engine, run in its own process so peak RSS
// is its own. Prints {"op","ms","rssMB",...} like the Go side.
// Usage: tsx bench/ts-side.ts load FILE N | iter FILE | update FILE | small FILE
import * as fs from 'node:fs'
import {performance} from 'node:perf_hooks'
import {DB} from '../src/bbolt/index.js'

const VALUE_SIZE = 600
const key = (i: number): Buffer => Buffer.from(i.toString(16).padStart(16, '0'))
function value(i: number, pad: string): Buffer {
  const head = `{"id":"${i.toString(16).padStart(16, '0')}","n":${i},"pad":"`
  return Buffer.from(head + pad.repeat(VALUE_SIZE - 2 - head.length) + '"}')
}

const [op, file, arg] = process.argv.slice(2)
const rssMB = (): number => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10
const bucket = Buffer.from('bench')
let out: Record<string, unknown>

if (op === 'load') {
  const n = Number(arg)
  if (fs.existsSync(file)) throw new Error(`${file} exists`)
  const keys = Array.from({length: n}, (_, i) => key(i))
  const vals = Array.from({length: n}, (_, i) => value(i, 'x'))
  const t = performance.now()
  const db = DB.create(file)
  db.update((tx) => {
    const b = tx.createBucket(bucket)
    // the values stay unchanged until the commit, as Go's Put requires
    for (let i = 0; i < n; i++) b.put(keys[i], vals[i], {copy: false})
  })
  db.close()
  out = {op, ms: performance.now() - t, n}
} else if (op === 'iter') {
  const t = performance.now()
  const db = DB.open(file, {readOnly: true})
  // Touch every value (length, first and last byte) like the Go side: this
  // measures the engine's iteration, not a hash function's speed. A scan
  // cursor hands out byte ranges (Go hands out slices), no object per entry.
  let sum = 0, n = 0
  db.view((tx) => {
    const c = tx.bucket(bucket)!.cursor({scan: true})
    for (let e = c.firstView(); e !== null; e = c.nextView()) {
      const v = e.valueBuf!
      sum += e.valueEnd - e.valueStart + v[e.valueStart] + v[e.valueEnd - 1]
      n++
    }
  })
  db.close()
  out = {op, ms: performance.now() - t, n, sum}
} else if (op === 'update') {
  const db0 = DB.open(file, {readOnly: true})
  const n = db0.view((tx) => {
    let c = 0
    tx.bucket(bucket)!.forEach(() => c++)
    return c
  })
  db0.close()
  const keys = Array.from({length: n}, (_, i) => key(i))
  const vals = Array.from({length: n}, (_, i) => value(i, 'u'))
  const t = performance.now()
  const db = DB.open(file)
  db.update((tx) => {
    const b = tx.bucket(bucket)!
    // the values stay unchanged until the commit, as Go's Put requires
    for (let i = 0; i < n; i++) b.put(keys[i], vals[i], {copy: false})
  })
  db.close()
  out = {op, ms: performance.now() - t, n}
} else if (op === 'small') {
  const t = performance.now()
  const db = DB.open(file, {readOnly: true})
  let bytes = 0
  db.view((tx) => tx.bucket(Buffer.from('small'))!.forEach((_k, v) => { bytes += v!.length }))
  db.close()
  out = {op, ms: performance.now() - t, bytes}
} else {
  throw new Error(`unknown op ${op}`)
}
console.log(JSON.stringify({...out, rssMB: rssMB()}))
