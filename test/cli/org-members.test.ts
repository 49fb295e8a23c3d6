// org members list/add/remove on copies of both real fixtures: the mapping
// and its by-user index entry compared with the ones influxd wrote into the
// fixtures (testuser owns myorg), the last-owner guard, role changes, the
// refusals, and the Go oracle's check and Go writing the file after every write.
import {afterAll, describe, expect, it} from 'vitest'

import {errorLines, makeTempDir, removeDir, runCli, sha256, type CliResult} from '../helpers/cli.js'
import {auditLines, contents, copyOf, diff, get, goWritesAfter, sideFiles} from '../helpers/kv.js'
import {fixture, oracleCheck} from '../helpers/oracle.js'

const tmp = makeTempDir('ir-org-members-')
afterAll(() => removeDir(tmp))

const V29 = fixture('influxd-v2.8-v2.9.bolt')
const V27 = fixture('influxd-v2.1-v2.7.bolt')
const FIX_ORG = 'dd7cd2292f6e974a'
const FIX_USER = '08371db1dd8c8000'

function members(file: string, sub: string, args: string[]): CliResult {
  return runCli(['org', 'members', sub, '--bolt-path', file, ...args])
}

/** A second user, made with this tool's own user create (tested elsewhere). */
function addUser(file: string, name: string): string {
  const r = runCli(['user', 'create', '--bolt-path', file, '--username', name, '--json', '--no-backup'])
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout).user.id
}

for (const [label, src] of [['2.8–2.9 fixture', V29], ['2.1–2.7 fixture', V27]] as const) {
  describe(`org members on the ${label}`, () => {
    it('list: the fixture\'s owner, by name and by ID, in every format', () => {
      const file = copyOf(tmp, src)
      const json = members(file, 'list', ['--org', 'myorg', '--json'])
      expect(json.status, json.stderr).toBe(0)
      expect(JSON.parse(json.stdout)).toEqual([{id: FIX_USER, name: 'testuser', role: 'owner', status: 'active'}])
      const table = members(file, 'list', ['--org-id', FIX_ORG])
      expect(table.stdout).toBe('ID                Name      User Type  Status\n08371db1dd8c8000  testuser  owner      active\n')
      expect(members(file, 'list', ['--org', 'myorg', '--format', 'csv']).stdout).toBe('id,name,role,status\n08371db1dd8c8000,testuser,owner,active\n')
      // no org given and not a terminal: exit 2 naming the flags and the orgs
      const none = members(file, 'list', [])
      expect(none.status).toBe(2)
      expect(errorLines(none.stderr)).toMatchObject({ok: true, error: 'Error: no org given (not a terminal, so cannot ask)', hint: 'Hint: pass --org or --org-id; the orgs in the file: myorg'})
      const unknown = members(file, 'list', ['--org', 'nope'])
      expect(unknown.status).toBe(5)
      expect(errorLines(unknown.stderr).error).toBe('Error: org "nope" does not exist; the orgs in the file: "myorg"')
    })

    it('add a member, make it an owner, remove the first owner, refuse to remove the last one, force it: influxd\'s bytes each time', () => {
      const file = copyOf(tmp, src)
      const bob = addUser(file, 'bob')
      const base = contents(file)
      const fixtureUrm = get(base, 'userresourcemappingsv1', `${FIX_ORG}${FIX_USER}`)!
      const urmOf = (user: string, role: string): string => fixtureUrm.replace(FIX_USER, user).replace('"owner"', `"${role}"`)
      const key = `${FIX_ORG}${bob}`

      // member
      let r = members(file, 'add', ['--org', 'myorg', '--user', 'bob', '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({operation: 'add', roleBefore: null, roleAfter: 'member', ownersAfter: 1, dryRun: false})
      oracleCheck(file)
      let kv = contents(file)
      expect(diff(base, kv)).toEqual([`userresourcemappingsbyuserindexv1 ${bob}/${key}`, `userresourcemappingsv1 ${key}`])
      expect(get(kv, 'userresourcemappingsv1', key)).toBe(`{"userID":"${bob}","userType":"member","mappingType":"user","resourceType":"orgs","resourceID":"${FIX_ORG}"}`)
      expect(get(kv, 'userresourcemappingsv1', key)).toBe(urmOf(bob, 'member'))
      expect(get(kv, 'userresourcemappingsbyuserindexv1', `${bob}/${key}`)).toBe(key)

      // again: nothing to do, nothing written
      const sum = sha256(file)
      r = members(file, 'add', ['--org', 'myorg', '--user-id', bob])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toBe('bob is already a member of org myorg: nothing was written\n')
      expect(sha256(file)).toBe(sum)

      // member -> owner: the mapping rewritten, the index entry kept
      r = members(file, 'add', ['--org-id', FIX_ORG, '--user', 'bob', '--owner'])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toContain('note: bob was a member of org myorg and is now an owner')
      kv = contents(file)
      expect(get(kv, 'userresourcemappingsv1', key)).toBe(urmOf(bob, 'owner'))
      expect(get(kv, 'userresourcemappingsbyuserindexv1', `${bob}/${key}`)).toBe(key)
      expect(JSON.parse(members(file, 'list', ['--org', 'myorg', '--json']).stdout)).toEqual([
        {id: FIX_USER, name: 'testuser', role: 'owner', status: 'active'},
        {id: bob, name: 'bob', role: 'owner', status: 'active'},
      ])

      // remove testuser (destructive: --yes), leaving bob the owner
      const before = contents(file)
      r = members(file, 'remove', ['--org', 'myorg', '--user', 'testuser'])
      expect(r.status).toBe(2)
      expect(errorLines(r.stderr).error).toBe('Error: refusing to remove the user testuser from the org without confirmation')
      r = members(file, 'remove', ['--org', 'myorg', '--user', 'testuser', '--yes', '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({operation: 'remove', roleBefore: 'owner', roleAfter: null, ownersAfter: 1})
      oracleCheck(file)
      expect(diff(before, contents(file))).toEqual([`userresourcemappingsbyuserindexv1 ${FIX_USER}/${FIX_ORG}${FIX_USER}`, `userresourcemappingsv1 ${FIX_ORG}${FIX_USER}`])

      // bob is the last owner: neither removed nor made a member without --force
      const guarded = sha256(file)
      r = members(file, 'remove', ['--org', 'myorg', '--user', 'bob', '--yes'])
      expect(r.status).toBe(1)
      expect(errorLines(r.stderr)).toMatchObject({ok: true, error: 'Error: refusing to remove bob from org myorg: bob is the last owner of org myorg'})
      r = members(file, 'add', ['--org', 'myorg', '--user', 'bob', '--yes'])
      expect(r.status).toBe(1)
      expect(errorLines(r.stderr).error).toBe('Error: refusing to make bob a member instead of an owner: bob is the last owner of org myorg')
      expect(sha256(file)).toBe(guarded)

      r = members(file, 'remove', ['--org', 'myorg', '--user', 'bob', '--yes', '--force'])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stderr).toContain('note: org myorg has no owner any more (forced)')
      oracleCheck(file)
      const end = contents(file)
      expect([...end.get('userresourcemappingsv1')!.keys()]).toEqual([])
      expect([...end.get('userresourcemappingsbyuserindexv1')!.keys()]).toEqual([])
      expect(JSON.parse(members(file, 'list', ['--org', 'myorg', '--json']).stdout)).toEqual([])

      // and back: testuser owner again
      r = members(file, 'add', ['--org', 'myorg', '--user', 'testuser', '--owner'])
      expect(r.status, r.stderr).toBe(0)
      expect(get(contents(file), 'userresourcemappingsv1', `${FIX_ORG}${FIX_USER}`)).toBe(fixtureUrm)
      expect(get(contents(file), 'userresourcemappingsbyuserindexv1', `${FIX_USER}/${FIX_ORG}${FIX_USER}`)).toBe(`${FIX_ORG}${FIX_USER}`)

      expect(auditLines(file).map((a) => [a.command, a.outcome])).toEqual([
        ['user create', 'ok'], ['org members add', 'ok'], ['org members add', 'ok'], ['org members remove', 'ok'], ['org members remove', 'ok'], ['org members add', 'ok'],
      ])
      goWritesAfter(file)
    })

    it('refusals: unknown user or org (5), bad IDs (2), not a member (5), no user flag (2); dry run writes nothing', () => {
      const file = copyOf(tmp, src)
      const sum = sha256(file)
      const cases: Array<[string, string[], number, RegExp]> = [
        ['add', ['--org', 'myorg', '--user', 'nobody'], 5, /^Error: user "nobody" does not exist/],
        ['add', ['--org', 'nope', '--user', 'testuser'], 5, /^Error: org "nope" does not exist/],
        ['add', ['--org-id', 'zz', '--user', 'testuser'], 2, /^Error: invalid org ID "zz"/],
        ['add', ['--org', 'myorg', '--user-id', '123'], 2, /^Error: invalid user ID "123": id must have a length of 16 bytes/],
        ['add', ['--org', 'myorg'], 2, /--user/],
        ['remove', ['--org', 'myorg', '--user-id', '0000000000000bad', '--yes'], 5, /^Error: user ID 0000000000000bad does not exist/],
        ['remove', ['--org', 'myorg', '--user', 'testuser', '--yes'], 1, /last owner/],
      ]
      for (const [sub, args, code, message] of cases) {
        const r = members(file, sub, args)
        expect(r.status, `${sub} ${args.join(' ')}: ${r.stderr}`).toBe(code)
        expect(errorLines(r.stderr).ok, r.stderr).toBe(true)
        expect(errorLines(r.stderr).error).toMatch(message)
      }
      const bob = addUser(file, 'bob')
      const afterUser = sha256(file)
      const notMember = members(file, 'remove', ['--org', 'myorg', '--user', 'bob', '--yes'])
      expect(notMember.status).toBe(5)
      expect(errorLines(notMember.stderr).error).toBe('Error: user bob is not a member or owner of org myorg')
      const dry = members(file, 'add', ['--org', 'myorg', '--user-id', bob, '--dry-run'])
      expect(dry.status, dry.stderr).toBe(0)
      expect(dry.stdout).toContain(`  add userresourcemappingsv1 "${FIX_ORG}${bob}" = {"userID":"${bob}","userType":"member",`)
      expect(dry.stdout).toContain(`  add userresourcemappingsbyuserindexv1 "${bob}/${FIX_ORG}${bob}" = ${FIX_ORG}${bob}`)
      expect(sha256(file)).toBe(afterUser)
      expect(sum).not.toBe(afterUser)
      expect(sideFiles(file)).toEqual(['influx-recover.audit.jsonl'])
    })
  })
}
