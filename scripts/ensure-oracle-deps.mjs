#!/usr/bin/env node
// Installs the Go oracle's Debian packages when they are missing, so
// `npm test` works on a fresh Debian machine. Needs root (or sudo) only then.
import {execSync, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'

const BBOLT = '/usr/share/gocode/src/go.etcd.io/bbolt/db.go'
const XSYS = '/usr/share/gocode/src/golang.org/x/sys/unix'
const haveGo = spawnSync('go', ['version'], {stdio: 'ignore'}).status === 0
if (haveGo && existsSync(BBOLT) && existsSync(XSYS)) process.exit(0)

const pkgs = 'golang-go golang-github-coreos-bbolt-dev golang-golang-x-sys-dev'
const sudo = process.getuid?.() === 0 ? '' : 'sudo '
console.error(`installing the Go oracle's packages: ${pkgs}`)
try {
  execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkgs}`, {stdio: 'inherit'})
} catch {
  console.error(`could not install ${pkgs}; install them by hand (Debian/Ubuntu) and run the tests again`)
  process.exit(1)
}
