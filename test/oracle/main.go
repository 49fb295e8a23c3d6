// Command oracle is a Go test oracle for the TypeScript bbolt reimplementation.
//
// It links against go.etcd.io/bbolt 1.3.6 (the version InfluxDB 2.x uses) and
// offers subcommands to check, dump, mutate and generate bbolt files, plus
// benchmark counterparts. See README.md in this folder.
//
// Build (GOPATH mode, no go.mod):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o bin/oracle .
package main

import (
	"fmt"
	"os"
	"strconv"
)

const usage = `usage:
  oracle check FILE                 bbolt tx.Check + independent raw verifier (exit 0 ok, 1 open error, 2 problems)
  oracle dump FILE                  JSON Lines dump of every bucket and key, depth-first in key order
  oracle mutate FILE SEED           rewrite a (copied!) file with Go: deletes/overwrites/puts in every bucket
  oracle gen OUT SCENARIO [SEED]    write a fresh Go-made file (OUT must not exist)
  oracle bench-load FILE N          create FILE, bucket "bench", N sequential puts in one tx
  oracle bench-iter FILE            cursor over bucket "bench", FNV-1a-64 over all values
  oracle bench-bigfile FILE MB      create FILE: MB megabytes of 256 KiB values in "bulk", 100 keys in "small"
  oracle bench-small FILE           read every value of bucket "small"
  oracle bench-update FILE          overwrite every value of bucket "bench" in one tx
  oracle info FILE                  human-readable summary: metas, freelist, page table
  oracle hold FILE [SECONDS]        open FILE read-write (flock LOCK_EX, like influxd), print "holding", keep it open
  oracle gen-influx OUT N [--big BYTES] [--hashed K]
                                    influxd-shaped file: N tokens (K of them hashed), users, orgs; BYTES of other data
  oracle bench-authlist FILE        decode every token, resolve user/org names, print a JSON array
  oracle bench-hash FILE            hash every raw token as influxd 2.9 does at start-up (batches of 100)

gen scenarios: ` + scenarioList + `
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 1
	}
	cmd, rest := args[0], args[1:]
	need := func(min, max int) bool {
		if len(rest) < min || len(rest) > max {
			fmt.Fprintf(os.Stderr, "oracle %s: wrong number of arguments\n%s", cmd, usage)
			return false
		}
		return true
	}
	switch cmd {
	case "check":
		if !need(1, 1) {
			return 1
		}
		return cmdCheck(rest[0])
	case txCheckChild: // internal: tx.Check in a child process (see check.go)
		if !need(1, 1) {
			return 1
		}
		return cmdTxCheckChild(rest[0])
	case "dump":
		if !need(1, 1) {
			return 1
		}
		return cmdDump(rest[0])
	case "mutate":
		if !need(2, 2) {
			return 1
		}
		seed, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "oracle mutate: bad SEED %q: %v\n", rest[1], err)
			return 1
		}
		return cmdMutate(rest[0], seed)
	case "gen":
		if !need(2, 3) {
			return 1
		}
		seed := int64(1)
		if len(rest) == 3 {
			s, err := strconv.ParseInt(rest[2], 10, 64)
			if err != nil {
				fmt.Fprintf(os.Stderr, "oracle gen: bad SEED %q: %v\n", rest[2], err)
				return 1
			}
			seed = s
		}
		return cmdGen(rest[0], rest[1], seed)
	case "bench-load":
		if !need(2, 2) {
			return 1
		}
		n, err := strconv.Atoi(rest[1])
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "oracle bench-load: bad N %q\n", rest[1])
			return 1
		}
		return cmdBenchLoad(rest[0], n)
	case "bench-iter":
		if !need(1, 1) {
			return 1
		}
		return cmdBenchIter(rest[0])
	case "bench-update":
		if !need(1, 1) {
			return 1
		}
		return cmdBenchUpdate(rest[0])
	case "bench-bigfile":
		if !need(2, 2) {
			return 1
		}
		mb, err := strconv.Atoi(rest[1])
		if err != nil || mb < 1 {
			fmt.Fprintf(os.Stderr, "oracle bench-bigfile: bad MB %q\n", rest[1])
			return 1
		}
		return cmdBenchBigfile(rest[0], mb)
	case "bench-small":
		if !need(1, 1) {
			return 1
		}
		return cmdBenchSmall(rest[0])
	case "gen-influx":
		return cmdGenInflux(rest)
	case "bench-authlist":
		if !need(1, 1) {
			return 1
		}
		return cmdBenchAuthList(rest[0])
	case "bench-hash":
		if !need(1, 1) {
			return 1
		}
		return cmdBenchHash(rest[0])
	case "info":
		if !need(1, 1) {
			return 1
		}
		return cmdInfo(rest[0])
	case "hold":
		if !need(1, 2) {
			return 1
		}
		seconds := 0.0
		if len(rest) == 2 {
			s, err := strconv.ParseFloat(rest[1], 64)
			if err != nil || s <= 0 {
				fmt.Fprintf(os.Stderr, "oracle hold: bad SECONDS %q\n", rest[1])
				return 1
			}
			seconds = s
		}
		return cmdHold(rest[0], seconds)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "oracle: unknown subcommand %q\n%s", cmd, usage)
		return 1
	}
}

// existingFile reports an error unless path is an existing regular file.
// bbolt 1.3.x creates a missing file even when opened read-only, so every
// read-only subcommand calls this before bolt.Open.
func existingFile(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	return nil
}
