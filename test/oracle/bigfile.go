package main

// A large file for the memory benchmark: MB megabytes of 256 KiB overflow
// values in bucket "bulk" (written in batches of 64 values a transaction)
// beside a small bucket "small" of 100 keys. Reading "small" must not need
// the rest of the file.

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

func cmdBenchBigfile(path string, mb int) int {
	if _, err := os.Lstat(path); err == nil {
		fmt.Fprintf(os.Stderr, "oracle bench-bigfile: %s already exists\n", path)
		return 1
	}
	db, err := bolt.Open(path, 0644, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-bigfile: open: %v\n", err)
		return 1
	}
	defer db.Close()
	const valueSize = 256 * 1024
	value := make([]byte, valueSize)
	for i := range value {
		value[i] = byte(i * 7)
	}
	total := mb * 4 // values of 256 KiB
	for start := 0; start < total; start += 64 {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("bulk"))
			if err != nil {
				return err
			}
			for i := start; i < start+64 && i < total; i++ {
				if err := b.Put(benchKey(i), value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "oracle bench-bigfile: %v\n", err)
			return 1
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("small"))
		if err != nil {
			return err
		}
		for i := 0; i < 100; i++ {
			if err := b.Put(benchKey(i), benchValue(i, 's')); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-bigfile: %v\n", err)
		return 1
	}
	if err := db.Sync(); err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-bigfile: sync: %v\n", err)
		return 1
	}
	fmt.Printf("{\"op\":\"bigfile\",\"mb\":%d}\n", mb)
	return 0
}

// cmdBenchSmall reads every value of bucket "small" (the Go side of the memory case).
func cmdBenchSmall(path string) int {
	start := time.Now()
	db, err := bolt.Open(path, 0644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-small: open: %v\n", err)
		return 1
	}
	n := 0
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("small")).ForEach(func(k, v []byte) error { n += len(v); return nil })
	})
	db.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-small: %v\n", err)
		return 1
	}
	fmt.Printf("{\"op\":\"small\",\"ms\":%s,\"bytes\":%d}\n", msSince(start), n)
	return 0
}
