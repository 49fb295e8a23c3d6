package main

// `oracle mutate FILE SEED`: open a file (typically written by the TS
// implementation) read-write with Go bbolt and change it everywhere, so that
// a following `oracle check` proves Go can keep writing the foreign file.

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// collectBuckets returns the path of every bucket, depth-first in key order.
func collectBuckets(tx *bolt.Tx) [][][]byte {
	var out [][][]byte
	var walk func(path [][]byte, c *bolt.Cursor, sub func([]byte) *bolt.Bucket)
	walk = func(path [][]byte, c *bolt.Cursor, sub func([]byte) *bolt.Bucket) {
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v != nil {
				continue
			}
			b := sub(k)
			if b == nil {
				continue
			}
			p := appendPath(path, cloneBytes(k))
			out = append(out, p)
			walk(p, b.Cursor(), b.Bucket)
		}
	}
	walk(nil, tx.Cursor(), tx.Bucket)
	return out
}

// bucketAt resolves a bucket path (nil if it no longer exists).
func bucketAt(tx *bolt.Tx, path [][]byte) *bolt.Bucket {
	if len(path) == 0 {
		return nil
	}
	b := tx.Bucket(path[0])
	for _, name := range path[1:] {
		if b == nil {
			return nil
		}
		b = b.Bucket(name)
	}
	return b
}

func cloneBytes(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// randBytes returns n pseudo-random bytes from rng.
func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	_, _ = rng.Read(b)
	return b
}

// textValue returns an n-byte printable value (easier to eyeball in dumps).
func textValue(rng *rand.Rand, n int) []byte {
	const alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.Intn(len(alpha))]
	}
	return b
}

type mutateStats struct {
	buckets, deleted, overwritten, put, large, secondDeleted int
	deletedBucket                                            string
	txBefore, txAfter                                        int
}

func cmdMutate(path string, seed int64) int {
	if err := existingFile(path); err != nil {
		fmt.Fprintf(os.Stderr, "oracle mutate: %v\n", err)
		return 1
	}
	db, err := openRecover(path, &bolt.Options{Timeout: time.Second})
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle mutate: open %s: %v\n", path, err)
		return 1
	}
	st, err := mutate(db, seed)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close: %v", cerr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle mutate: %v\n", err)
		return 1
	}
	fmt.Printf("mutate OK: seed %d, %d buckets, tx1 deleted %d keys, overwrote %d, put %d (%d large), deleted bucket %s; tx2 deleted %d keys; txid %d -> %d\n",
		seed, st.buckets, st.deleted, st.overwritten, st.put, st.large, st.deletedBucket, st.secondDeleted, st.txBefore, st.txAfter)
	return 0
}

func mutate(db *bolt.DB, seed int64) (st mutateStats, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	rng := rand.New(rand.NewSource(seed))
	prefix := fmt.Sprintf("oracle-mutate-%d", seed)
	newKeys := map[string][][]byte{} // string(joined path) -> keys put in tx1
	pathOf := map[string][][]byte{}
	st.deletedBucket = "none"

	err = db.Update(func(tx *bolt.Tx) error {
		st.txBefore = tx.ID() - 1
		paths := collectBuckets(tx)
		st.buckets = len(paths)
		// Delete one sub-bucket at nesting depth >= 2, if any. This is done
		// first, before anything in the transaction is modified: bbolt 1.3.6
		// leaks the pages of every other sub-bucket when DeleteBucket runs on
		// a bucket whose leaf was already materialized in the same
		// transaction (see genChurn in gen.go); that Go bug must not be
		// mistaken for a problem of the file under test.
		var deep [][][]byte
		for _, p := range paths {
			if len(p) >= 2 {
				deep = append(deep, p)
			}
		}
		if len(deep) > 0 {
			victim := deep[rng.Intn(len(deep))]
			if err := deleteBucketPath(tx, victim); err != nil {
				return fmt.Errorf("delete bucket %s: %v", fmtPath(victim), err)
			}
			st.deletedBucket = fmtPath(victim)
			kept := paths[:0]
			for _, q := range paths {
				if !isUnder(q, victim) {
					kept = append(kept, q)
				}
			}
			paths = kept
		}
		for _, p := range paths {
			b := bucketAt(tx, p)
			if b == nil {
				return fmt.Errorf("bucket %s vanished", fmtPath(p))
			}
			var keys [][]byte
			c := b.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if v != nil {
					keys = append(keys, cloneBytes(k))
				}
			}
			var kept [][]byte
			for _, k := range keys {
				if rng.Intn(3) == 0 {
					if err := b.Delete(k); err != nil {
						return fmt.Errorf("delete %s in %s: %v", fmtKey(k), fmtPath(p), err)
					}
					st.deleted++
				} else {
					kept = append(kept, k)
				}
			}
			for i := 0; i < 3 && len(kept) > 0; i++ {
				k := kept[rng.Intn(len(kept))]
				if err := b.Put(k, textValue(rng, 1+rng.Intn(300))); err != nil {
					return fmt.Errorf("overwrite %s in %s: %v", fmtKey(k), fmtPath(p), err)
				}
				st.overwritten++
			}
			pk := string(bytes.Join(p, []byte{0}))
			pathOf[pk] = p
			for i := 0; i < 5; i++ {
				k := []byte(fmt.Sprintf("%s/new-%02d", prefix, i))
				n := rng.Intn(120)
				if i%2 == 0 {
					n = 3000 + rng.Intn(6001)
					st.large++
				}
				if err := b.Put(k, randBytes(rng, n)); err != nil {
					return fmt.Errorf("put %s in %s: %v", fmtKey(k), fmtPath(p), err)
				}
				newKeys[pk] = append(newKeys[pk], k)
				st.put++
			}
		}
		// A new top-level bucket with a nested bucket and 50 keys.
		nb, err := tx.CreateBucket([]byte(prefix))
		if err != nil {
			return fmt.Errorf("create bucket %s: %v", prefix, err)
		}
		nested, err := nb.CreateBucket([]byte("nested"))
		if err != nil {
			return fmt.Errorf("create nested bucket: %v", err)
		}
		for i := 0; i < 50; i++ {
			k := []byte(fmt.Sprintf("key-%03d", i))
			n := rng.Intn(400)
			if i%10 == 3 {
				n = 3000 + rng.Intn(6001)
				st.large++
			}
			if err := nb.Put(k, textValue(rng, n)); err != nil {
				return err
			}
			if err := nested.Put(k, textValue(rng, rng.Intn(40))); err != nil {
				return err
			}
			st.put += 2
		}
		if _, err := nested.NextSequence(); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("tx1: %v", err)
	}

	// Second transaction: delete most of what was just put (rebalance/merge).
	err = db.Update(func(tx *bolt.Tx) error {
		for bi, keys := range sortedKeys(newKeys) {
			b := bucketAt(tx, pathOf[keys.path])
			if b == nil {
				continue // inside the deleted bucket
			}
			// Keep one key in five: a large one in every other bucket (the
			// bucket stays page-based), a small one in the others (a bucket
			// that was inline before may become inline again).
			keep := 4
			if bi%2 == 1 {
				keep = 1
			}
			for i, k := range keys.keys {
				if i == keep {
					continue
				}
				if err := b.Delete(k); err != nil {
					return err
				}
				st.secondDeleted++
			}
		}
		nb := tx.Bucket([]byte(prefix))
		nested := nb.Bucket([]byte("nested"))
		for i := 0; i < 50; i++ {
			if i%5 == 0 {
				continue
			}
			k := []byte(fmt.Sprintf("key-%03d", i))
			if err := nb.Delete(k); err != nil {
				return err
			}
			if err := nested.Delete(k); err != nil {
				return err
			}
			st.secondDeleted += 2
		}
		st.txAfter = tx.ID()
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("tx2: %v", err)
	}
	return st, nil
}

type pathKeys struct {
	path string
	keys [][]byte
}

// sortedKeys gives a deterministic iteration order over the map.
func sortedKeys(m map[string][][]byte) []pathKeys {
	out := make([]pathKeys, 0, len(m))
	for k, v := range m {
		out = append(out, pathKeys{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}
