package main

// Benchmark counterparts of the TS tool's load / iterate / update benchmark
// (spec §12). Keys: 16-byte lowercase hex of i. Values: 600-byte JSON-like
// text, pad 'x' (load) or 'u' (update). Times include open, commit and close;
// keys and values are generated before the clock starts.

import (
	"fmt"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

const benchValueSize = 600

var benchBucket = []byte("bench")

func benchKey(i int) []byte { return []byte(fmt.Sprintf("%016x", i)) }

// benchValue: {"id":"<16hex>","n":<i>,"pad":"<pad...>"} exactly 600 bytes.
func benchValue(i int, pad byte) []byte {
	head := fmt.Sprintf(`{"id":"%016x","n":%d,"pad":"`, i, i)
	v := make([]byte, 0, benchValueSize)
	v = append(v, head...)
	for len(v) < benchValueSize-2 {
		v = append(v, pad)
	}
	return append(v, '"', '}')
}

func benchData(n int, pad byte) (keys, vals [][]byte) {
	keys, vals = make([][]byte, n), make([][]byte, n)
	for i := 0; i < n; i++ {
		keys[i], vals[i] = benchKey(i), benchValue(i, pad)
	}
	return keys, vals
}

func msSince(t time.Time) string {
	return strconv.FormatFloat(float64(time.Since(t).Nanoseconds())/1e6, 'f', 3, 64)
}

func cmdBenchLoad(path string, n int) int {
	if _, err := os.Lstat(path); err == nil {
		fmt.Fprintf(os.Stderr, "oracle bench-load: %s already exists\n", path)
		return 1
	}
	keys, vals := benchData(n, 'x')
	start := time.Now()
	db, err := bolt.Open(path, 0644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-load: open: %v\n", err)
		return 1
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(benchBucket)
		if err != nil {
			return err
		}
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-load: %v\n", err)
		return 1
	}
	fmt.Printf("{\"op\":\"load\",\"ms\":%s,\"n\":%d}\n", msSince(start), n)
	return 0
}

func cmdBenchIter(path string) int {
	if err := existingFile(path); err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-iter: %v\n", err)
		return 1
	}
	start := time.Now()
	db, err := bolt.Open(path, 0644, readOnlyOptions())
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-iter: open: %v\n", err)
		return 1
	}
	// Touch every value (length, first and last byte), as the TS side does:
	// this measures iteration, not a hash function.
	sum, n := 0, 0
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(benchBucket)
		if b == nil {
			return fmt.Errorf("no bucket %q", benchBucket)
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			sum += len(v) + int(v[0]) + int(v[len(v)-1])
			n++
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-iter: %v\n", err)
		return 1
	}
	fmt.Printf("{\"op\":\"iter\",\"ms\":%s,\"n\":%d,\"sum\":%d}\n", msSince(start), n, sum)
	return 0
}

func cmdBenchUpdate(path string) int {
	if err := existingFile(path); err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-update: %v\n", err)
		return 1
	}
	// Untimed: how many keys are there?
	n := -1
	db, err := bolt.Open(path, 0644, readOnlyOptions())
	if err == nil {
		err = db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(benchBucket)
			if b == nil {
				return fmt.Errorf("no bucket %q", benchBucket)
			}
			n = b.Stats().KeyN
			return nil
		})
		_ = db.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-update: %v\n", err)
		return 1
	}
	keys, vals := benchData(n, 'u')

	start := time.Now()
	db, err = bolt.Open(path, 0644, &bolt.Options{Timeout: time.Second})
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-update: open: %v\n", err)
		return 1
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(benchBucket)
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-update: %v\n", err)
		return 1
	}
	fmt.Printf("{\"op\":\"update\",\"ms\":%s,\"n\":%d}\n", msSince(start), n)
	return 0
}
