package main

// `oracle hold FILE [SECONDS]`: play the part of a running influxd. Opens
// FILE read-write with Go bbolt exactly as influxd's kv store does
// (bolt.Open(path, 0600, &bolt.Options{Timeout: ...}), which takes
// flock(LOCK_EX) on the file), prints "holding" once the lock is held, and
// keeps the database open until SECONDS elapse (default: until killed).
// SIGTERM/SIGINT close it cleanly and exit 0. Nothing is written.

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// holdOpenTimeout is how long Open waits when someone else holds the lock.
const holdOpenTimeout = 5 * time.Second

func cmdHold(path string, seconds float64) int {
	// bbolt creates a missing file; a holder must never do that.
	if err := existingFile(path); err != nil {
		fmt.Fprintf(os.Stderr, "oracle hold: %v\n", err)
		return 1
	}
	// Registered before the lock is taken, so a signal sent right after
	// "holding" is always handled here (never Go's default: exit 2).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	db, err := bolt.Open(path, 0600, &bolt.Options{Timeout: holdOpenTimeout})
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle hold: open %s: %v\n", path, err)
		return 1
	}
	var txid int
	if err := db.View(func(tx *bolt.Tx) error {
		txid = tx.ID()
		return nil
	}); err != nil {
		fmt.Fprintf(os.Stderr, "oracle hold: %v\n", err)
		db.Close()
		return 1
	}
	fmt.Printf("holding %s (pid %d, txid %d)\n", path, os.Getpid(), txid)
	os.Stdout.Sync()

	var expire <-chan time.Time
	if seconds > 0 {
		expire = time.After(time.Duration(seconds * float64(time.Second)))
	}
	select {
	case <-sig:
	case <-expire:
	}
	if err := db.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "oracle hold: close: %v\n", err)
		return 1
	}
	return 0
}
