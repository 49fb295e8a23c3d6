// Child-process helper for lock.test.ts (run with `node --import tsx`): takes a lock on
// argv[2], prints "held", then either waits to be killed ("wait") or dies from an
// uncaught exception ("throw") without releasing, to simulate crashes.
import {lockDataFile} from '../../src/platform/lock.js'

const [file, how, mode] = process.argv.slice(2)
if (!file || (how !== 'wait' && how !== 'throw')) {
  console.error('usage: lock-holder FILE wait|throw [read|write]')
  process.exit(2)
}
await lockDataFile(file, {write: mode !== 'read', timeoutSec: 0})
process.stdout.write('held\n')
if (how === 'throw') {
  setTimeout(() => {
    throw new Error('simulated crash while holding the lock')
  }, 10)
} else {
  setInterval(() => {}, 1000)
}
