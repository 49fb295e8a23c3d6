package main

// `oracle check FILE`: bbolt's own tx.Check plus the raw verifier (verify.go).
//
// bbolt runs tx.Check in its own goroutine, so a panic there (a corrupt page
// can make bbolt index out of range or fault on the mmap) cannot be recovered
// by the caller. The bbolt part therefore runs in a child process (this
// binary, hidden subcommand txCheckChild) that reports line by line on stdout;
// if the child dies, the parent reports the crash as a problem.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

const (
	txCheckChild      = "__txcheck"
	txCheckMaxErrors  = 200
	txCheckChildLimit = 120 * time.Second
)

// readOnlyOptions is how every read-only subcommand opens a file.
func readOnlyOptions() *bolt.Options {
	return &bolt.Options{ReadOnly: true, Timeout: time.Second}
}

// cmdTxCheckChild runs in the child process. Protocol on stdout:
//
//	OPENERR msg | OPENED, then TXID n, ERR msg..., [TRUNC], DONE
func cmdTxCheckChild(path string) int {
	debug.SetMaxStack(256 << 20) // a cyclic tree makes bbolt recurse forever
	limitAddressSpace(path)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()

	db, err := openRecover(path, readOnlyOptions())
	if err != nil {
		fmt.Fprintf(out, "OPENERR %s\n", oneLine(err.Error()))
		return 3
	}
	fmt.Fprintln(out, "OPENED")
	out.Flush()
	defer func() { _ = db.Close() }()

	debug.SetPanicOnFault(true)
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return db.View(func(tx *bolt.Tx) error {
			fmt.Fprintf(out, "TXID %d\n", tx.ID())
			out.Flush()
			n := 0
			for cerr := range tx.Check() {
				n++
				if n > txCheckMaxErrors {
					// Stop reading: the checker goroutine blocks, we exit.
					fmt.Fprintln(out, "TRUNC")
					out.Flush()
					return nil
				}
				fmt.Fprintf(out, "ERR %s\n", oneLine(cerr.Error()))
				out.Flush()
			}
			return nil
		})
	}()
	if err != nil {
		fmt.Fprintf(out, "ERR %s\n", oneLine(err.Error()))
	}
	fmt.Fprintln(out, "DONE")
	out.Flush()
	os.Exit(0) // do not wait for a blocked checker goroutine or Close
	return 0
}

// limitAddressSpace caps the child's virtual memory. A corrupt page header
// (e.g. a huge overflow count on a page read past the file) makes bbolt's
// checker fill a map with billions of ids; without a cap that ends in the
// kernel's OOM killer instead of a clean "out of memory" crash of the child.
func limitAddressSpace(path string) {
	var size uint64
	if st, err := os.Stat(path); err == nil {
		size = uint64(st.Size())
	}
	lim := uint64(3<<30) + 2*size
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim})
}

// openRecover calls bolt.Open and turns a panic into an error.
func openRecover(path string, opts *bolt.Options) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("panic in bolt.Open: %v", r)
		}
	}()
	return bolt.Open(path, 0600, opts)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
}

// txCheckResult is what the parent learned from the child.
type txCheckResult struct {
	openErr string // non-empty: bbolt could not open the file
	txid    string
	errs    []string
}

func runTxCheck(path string) txCheckResult {
	var res txCheckResult
	exe, err := os.Executable()
	if err != nil {
		res.openErr = "cannot locate own executable: " + err.Error()
		return res
	}
	ctx, cancel := context.WithTimeout(context.Background(), txCheckChildLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, txCheckChild, path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	opened, done := false, false
	for _, line := range strings.Split(stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "OPENERR "):
			res.openErr = strings.TrimPrefix(line, "OPENERR ")
		case line == "OPENED":
			opened = true
		case strings.HasPrefix(line, "TXID "):
			res.txid = strings.TrimPrefix(line, "TXID ")
		case strings.HasPrefix(line, "ERR "):
			res.errs = append(res.errs, strings.TrimPrefix(line, "ERR "))
		case line == "TRUNC":
			res.errs = append(res.errs, fmt.Sprintf("(more than %d errors, rest not shown)", txCheckMaxErrors))
		case line == "DONE":
			done = true
		}
	}
	if res.openErr != "" {
		return res
	}
	crash := crashSummary(stderr.String())
	if ctx.Err() != nil {
		crash = fmt.Sprintf("timed out after %s", txCheckChildLimit)
	} else if crash == "" && runErr != nil {
		crash = runErr.Error()
	}
	if !opened {
		res.openErr = "bolt.Open crashed: " + crash
		return res
	}
	if !done {
		res.errs = append(res.errs, "bbolt crashed while checking: "+crash)
	}
	return res
}

// crashSummary picks the interesting lines of a Go crash report.
func crashSummary(stderr string) string {
	var keep []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") ||
			strings.HasPrefix(l, "runtime:") || strings.HasPrefix(l, "unexpected fault") {
			keep = append(keep, strings.TrimSpace(l))
		}
	}
	if len(keep) == 0 {
		s := strings.TrimSpace(stderr)
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		return oneLine(s)
	}
	if len(keep) > 3 {
		keep = keep[:3]
	}
	return strings.Join(keep, " / ")
}

func cmdCheck(path string) int {
	openFailed, problems := false, false

	if err := existingFile(path); err != nil {
		fmt.Printf("tx.Check: bbolt cannot open the file: %v\n", err)
		openFailed = true
	} else {
		res := runTxCheck(path)
		switch {
		case res.openErr != "":
			fmt.Printf("tx.Check: bbolt cannot open the file: %s\n", res.openErr)
			openFailed = true
		case len(res.errs) == 0:
			fmt.Printf("bbolt tx.Check: OK (txid=%s)\n", res.txid)
		default:
			problems = true
			for _, e := range res.errs {
				fmt.Printf("tx.Check: %s\n", e)
			}
		}
	}

	rep, err := verifyFile(path)
	if err != nil {
		fmt.Printf("raw: cannot read file: %v\n", err)
		return 1
	}
	for _, w := range rep.Warnings {
		fmt.Printf("warning (raw): %s\n", w)
	}
	if rep.OK() {
		fmt.Printf("raw verifier: OK (%d pages, %d reachable, %d free, %d buckets, %d inline, %d keys)\n",
			rep.HWM, rep.Reachable, rep.Free, rep.Buckets, rep.Inline, rep.Keys)
	} else {
		problems = true
		for _, p := range rep.Problems {
			fmt.Printf("raw: %s\n", p)
		}
	}
	switch {
	case openFailed:
		return 1
	case problems:
		return 2
	}
	return 0
}
