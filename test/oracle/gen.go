package main

// `oracle gen OUT SCENARIO [SEED]`: write a fresh Go-made bbolt file that
// exercises one part of the format. Content is deterministic for a seed
// (page layout is not fully: bbolt rebalances in map order).

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"
)

type scenario struct {
	opts   func() *bolt.Options
	run    func(db *bolt.DB, rng *rand.Rand) (string, error) // returns extra summary text
	expect func(rep *rawReport) error                        // optional check of the written file
}

const scenarioList = "splits merges overflow nested inline bigfreelist nofreelistsync pagesize1024 pagesize16384 pagesize65536 churn empty"

// genOptions: defaults plus NoSync (nothing on disk depends on fsync; the
// files are test fixtures, so speed matters more than durability).
func genOptions() *bolt.Options { return &bolt.Options{NoSync: true} }

var scenarios = map[string]scenario{
	"splits":         {genOptions, genSplits, expectDepth(3)},
	"merges":         {genOptions, genMerges, nil},
	"overflow":       {genOptions, genOverflow, expectOverflow},
	"nested":         {genOptions, genNested, expectNesting(5)},
	"inline":         {genOptions, genInline, nil},
	"bigfreelist":    {genOptions, genBigFreelist, expectBigFreelist},
	"nofreelistsync": {func() *bolt.Options { return &bolt.Options{NoSync: true, NoFreelistSync: true} }, genNoFreelistSync, expectNoFreelist},
	"pagesize1024":   {pageSizeOptions(1024), genMixed, expectPageSize(1024)},
	"pagesize16384":  {pageSizeOptions(16384), genMixed, expectPageSize(16384)},
	"pagesize65536":  {pageSizeOptions(65536), genMixed, expectPageSize(65536)},
	"churn":          {genOptions, genChurn, nil},
	"empty":          {genOptions, func(*bolt.DB, *rand.Rand) (string, error) { return "", nil }, expectEmpty},
}

func expectDepth(d int) func(*rawReport) error {
	return func(r *rawReport) error {
		if r.MaxDepth < d {
			return fmt.Errorf("max tree depth %d < %d", r.MaxDepth, d)
		}
		return nil
	}
}

func expectNesting(n int) func(*rawReport) error {
	return func(r *rawReport) error {
		if r.MaxNesting < n {
			return fmt.Errorf("max bucket nesting %d < %d", r.MaxNesting, n)
		}
		return nil
	}
}

func expectOverflow(r *rawReport) error {
	if r.KindCount[kindOverflow] == 0 {
		return fmt.Errorf("no overflow pages")
	}
	return nil
}

func expectBigFreelist(r *rawReport) error {
	if !r.CountTrick || r.Free <= 0xFFFF {
		return fmt.Errorf("freelist: count trick %v, %d free ids (want 0xFFFF trick and > 65535)", r.CountTrick, r.Free)
	}
	return nil
}

func expectNoFreelist(r *rawReport) error {
	if r.Freelist != noFreelist || r.Free == 0 {
		return fmt.Errorf("freelist %d, %d free (want 2^64-1 and some free pages)", r.Freelist, r.Free)
	}
	return nil
}

func expectPageSize(ps uint64) func(*rawReport) error {
	return func(r *rawReport) error {
		if r.PageSize != ps {
			return fmt.Errorf("page size %d != %d", r.PageSize, ps)
		}
		return expectOverflow(r)
	}
}

func expectEmpty(r *rawReport) error {
	if r.HWM != 4 || r.FileSize != 4*4096 || r.TxID != 1 {
		return fmt.Errorf("hwm %d, size %d, txid %d (want 4, 16384, 1)", r.HWM, r.FileSize, r.TxID)
	}
	return nil
}

func pageSizeOptions(ps int) func() *bolt.Options {
	return func() *bolt.Options { return &bolt.Options{NoSync: true, PageSize: ps} }
}

func cmdGen(out, name string, seed int64) int {
	sc, ok := scenarios[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "oracle gen: unknown scenario %q (known: %s)\n", name, scenarioList)
		return 1
	}
	if _, err := os.Lstat(out); err == nil {
		fmt.Fprintf(os.Stderr, "oracle gen: %s already exists (refusing to overwrite)\n", out)
		return 1
	} else if !os.IsNotExist(err) {
		fmt.Fprintf(os.Stderr, "oracle gen: %v\n", err)
		return 1
	}
	db, err := bolt.Open(out, 0644, sc.opts())
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle gen: open %s: %v\n", out, err)
		return 1
	}
	extra, err := func() (s string, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return sc.run(db, rand.New(rand.NewSource(seed)))
	}()
	if cerr := db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle gen %s: %v\n", name, err)
		return 1
	}
	rep, err := verifyFile(out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle gen: re-read %s: %v\n", out, err)
		return 1
	}
	fl := fmt.Sprint(rep.Freelist)
	if rep.Freelist == noFreelist {
		fl = "none"
	}
	trick := ""
	if rep.CountTrick {
		trick = " (count 0xFFFF)"
	}
	if extra != "" {
		extra = ", " + extra
	}
	fmt.Printf("gen %s seed %d: %s: pageSize %d, txid %d, hwm %d, freelist %s, %d free%s, %d buckets (%d inline), %d keys, max tree depth %d, max nesting %d%s\n",
		name, seed, out, rep.PageSize, rep.TxID, rep.HWM, fl, rep.Free, trick, rep.Buckets, rep.Inline,
		rep.Keys, rep.MaxDepth, rep.MaxNesting, extra)
	if !rep.OK() {
		fmt.Fprintf(os.Stderr, "oracle gen %s: raw verifier reports %d problem(s) on Go's own output, first: %s\n",
			name, rep.NProblems, rep.Problems[0])
		return 1
	}
	if sc.expect != nil {
		if err := sc.expect(rep); err != nil {
			fmt.Fprintf(os.Stderr, "oracle gen %s: file lacks the scenario's feature: %v\n", name, err)
			return 1
		}
	}
	return 0
}

// ---- helpers ----------------------------------------------------------------

// randSize returns a size in [lo, hi].
func randSize(rng *rand.Rand, lo, hi int) int { return lo + rng.Intn(hi-lo+1) }

// randKey returns a non-empty random binary key of length in [lo, hi].
func randKey(rng *rand.Rand, lo, hi int) []byte {
	if lo < 1 {
		lo = 1
	}
	return randBytes(rng, randSize(rng, lo, hi))
}

// plainKeys returns the non-bucket keys of b (copies).
func plainKeys(b *bolt.Bucket) [][]byte {
	var keys [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v != nil {
			keys = append(keys, cloneBytes(k))
		}
	}
	return keys
}

// ---- splits / merges ----------------------------------------------------------

func loadSplits(db *bolt.DB, rng *rand.Rand, bucket string) error {
	const seqN, seqPerTx, randN, randPerTx = 5000, 500, 2000, 500
	for start := 0; start < seqN; start += seqPerTx {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte(bucket))
			if err != nil {
				return err
			}
			for i := start; i < start+seqPerTx; i++ {
				if err := b.Put([]byte(fmt.Sprintf("seq-%08d", i)), textValue(rng, randSize(rng, 100, 700))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for done := 0; done < randN; done += randPerTx {
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(bucket))
			for i := 0; i < randPerTx; i++ {
				if err := b.Put(randKey(rng, 1, 40), randBytes(rng, randSize(rng, 100, 700))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func treeDepth(db *bolt.DB, bucket string) int {
	depth := 0
	_ = db.View(func(tx *bolt.Tx) error {
		depth = tx.Bucket([]byte(bucket)).Stats().Depth
		return nil
	})
	return depth
}

func genSplits(db *bolt.DB, rng *rand.Rand) (string, error) {
	if err := loadSplits(db, rng, "splits"); err != nil {
		return "", err
	}
	d := treeDepth(db, "splits")
	if d < 3 {
		return "", fmt.Errorf("bucket depth %d < 3", d)
	}
	return fmt.Sprintf("bucket depth %d", d), nil
}

func genMerges(db *bolt.DB, rng *rand.Rand) (string, error) {
	if err := loadSplits(db, rng, "merges"); err != nil {
		return "", err
	}
	before := treeDepth(db, "merges")
	// A few extra buckets (some page-based, some nested) to delete later.
	err := db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < 6; i++ {
			b, err := tx.CreateBucket([]byte(fmt.Sprintf("extra-%d", i)))
			if err != nil {
				return err
			}
			n := 3 + i*60
			for j := 0; j < n; j++ {
				if err := b.Put([]byte(fmt.Sprintf("k%05d", j)), textValue(rng, randSize(rng, 10, 300))); err != nil {
					return err
				}
			}
			if i%2 == 1 {
				sub, err := b.CreateBucket([]byte("sub"))
				if err != nil {
					return err
				}
				for j := 0; j < 40*i; j++ {
					if err := sub.Put([]byte(fmt.Sprintf("s%04d", j)), textValue(rng, 200)); err != nil {
						return err
					}
				}
				if err := sub.Put([]byte("big"), textValue(rng, 9000)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	// Delete 80% of the keys of "merges" in random order over 5 transactions.
	var keys [][]byte
	_ = db.View(func(tx *bolt.Tx) error { keys = plainKeys(tx.Bucket([]byte("merges"))); return nil })
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	victims := keys[:len(keys)*8/10]
	per := (len(victims) + 4) / 5
	for start := 0; start < len(victims); start += per {
		end := start + per
		if end > len(victims) {
			end = len(victims)
		}
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("merges"))
			for _, k := range victims[start:end] {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	// Bucket deletions: a top-level page-based one, a nested one, a small one.
	for _, del := range [][]string{{"extra-5"}, {"extra-3", "sub"}, {"extra-0"}} {
		err := db.Update(func(tx *bolt.Tx) error {
			if len(del) == 1 {
				return tx.DeleteBucket([]byte(del[0]))
			}
			return tx.Bucket([]byte(del[0])).DeleteBucket([]byte(del[1]))
		})
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("deleted %d of %d keys, depth %d -> %d", len(victims), len(keys), before, treeDepth(db, "merges")), nil
}

// ---- overflow ------------------------------------------------------------------

func genOverflow(db *bolt.DB, rng *rand.Rand) (string, error) {
	var names [][]byte
	total := 0
	for t := 0; t < 6; t++ {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("overflow"))
			if err != nil {
				return err
			}
			sub, err := b.CreateBucketIfNotExists([]byte("\x00nested-large"))
			if err != nil {
				return err
			}
			for i := 0; i < 10; i++ {
				var k []byte
				if i%3 == 0 {
					k = textValue(rng, randSize(rng, 500, 1000)) // long keys
				} else {
					k = []byte(fmt.Sprintf("v-%02d-%02d", t, i))
				}
				n := randSize(rng, 5000, 200000)
				if err := b.Put(k, randBytes(rng, n)); err != nil {
					return err
				}
				names = append(names, k)
				total += n
			}
			return sub.Put([]byte(fmt.Sprintf("n-%02d", t)), randBytes(rng, randSize(rng, 5000, 50000)))
		})
		if err != nil {
			return "", err
		}
	}
	// Free some overflow runs: delete a few values, shrink and grow others.
	err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("overflow"))
		for i, k := range names {
			switch i % 7 {
			case 1:
				if err := b.Delete(k); err != nil {
					return err
				}
			case 4:
				if err := b.Put(k, randBytes(rng, randSize(rng, 0, 100))); err != nil {
					return err
				}
			case 5:
				if err := b.Put(k, randBytes(rng, randSize(rng, 100000, 200000))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return fmt.Sprintf("%d large values, %d bytes", len(names), total), err
}

// ---- nested -------------------------------------------------------------------------

func genNested(db *bolt.DB, rng *rand.Rand) (string, error) {
	binName := []byte{0xff, 0x00, 0xfe, 0x80, 'b', 0xc3} // not UTF-8
	err := db.Update(func(tx *bolt.Tx) error {
		// Chain n1/n2/n3/n4/n5, a few small keys at every level.
		var parent *bolt.Bucket
		for lvl := 1; lvl <= 5; lvl++ {
			name := []byte(fmt.Sprintf("n%d", lvl))
			var b *bolt.Bucket
			var err error
			if parent == nil {
				b, err = tx.CreateBucket(name)
			} else {
				b, err = parent.CreateBucket(name)
			}
			if err != nil {
				return err
			}
			for j := 0; j < lvl+1; j++ {
				if err := b.Put([]byte(fmt.Sprintf("k%d-%d", lvl, j)), textValue(rng, randSize(rng, 0, 60))); err != nil {
					return err
				}
			}
			// Siblings at every level: an inline one and a page-based one.
			small, err := b.CreateBucket([]byte(fmt.Sprintf("small-%d", lvl)))
			if err != nil {
				return err
			}
			for j := 0; j < 3; j++ {
				if err := small.Put(randKey(rng, 1, 8), randBytes(rng, randSize(rng, 0, 30))); err != nil {
					return err
				}
			}
			if lvl%2 == 0 {
				big, err := b.CreateBucket([]byte(fmt.Sprintf("paged-%d", lvl)))
				if err != nil {
					return err
				}
				for j := 0; j < 60; j++ {
					if err := big.Put([]byte(fmt.Sprintf("p%04d", j)), textValue(rng, 150)); err != nil {
						return err
					}
				}
			}
			parent = b
		}
		// Empty buckets, top-level and nested.
		if _, err := tx.CreateBucket([]byte("empty")); err != nil {
			return err
		}
		if _, err := tx.Bucket([]byte("n1")).CreateBucket([]byte("empty-child")); err != nil {
			return err
		}
		// Binary names, keys and values; zero-length values.
		bin, err := tx.CreateBucket(binName)
		if err != nil {
			return err
		}
		for j := 0; j < 20; j++ {
			k := randKey(rng, 1, 24)
			k[0] = byte(j * 13) // includes 0x00
			if err := bin.Put(k, randBytes(rng, randSize(rng, 0, 80))); err != nil {
				return err
			}
		}
		for _, k := range [][]byte{{0x00}, {0xff, 0xff}, {0x80}, []byte("zero")} {
			if err := bin.Put(k, []byte{}); err != nil {
				return err
			}
		}
		binSub, err := bin.CreateBucket([]byte{0x00, 0x01})
		if err != nil {
			return err
		}
		return binSub.Put([]byte("empty-value"), nil)
	})
	if err != nil {
		return "", err
	}
	// Sequences, in separate transactions, and a late change deep inside.
	err = db.Update(func(tx *bolt.Tx) error {
		n2 := tx.Bucket([]byte("n1")).Bucket([]byte("n2"))
		for i := 0; i < 3; i++ {
			if _, err := n2.NextSequence(); err != nil {
				return err
			}
		}
		n5 := n2.Bucket([]byte("n3")).Bucket([]byte("n4")).Bucket([]byte("n5"))
		if err := n5.SetSequence(1<<40 + 7); err != nil {
			return err
		}
		_, err := tx.Bucket([]byte("empty")).NextSequence()
		if err != nil {
			return err
		}
		// Undo it: an empty bucket with sequence 0 again is what "empty" means.
		return tx.Bucket([]byte("empty")).SetSequence(0)
	})
	if err != nil {
		return "", err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		n4 := tx.Bucket([]byte("n1")).Bucket([]byte("n2")).Bucket([]byte("n3")).Bucket([]byte("n4"))
		if err := n4.Put([]byte("late"), []byte{}); err != nil {
			return err
		}
		s, err := tx.Bucket(binName).NextSequence()
		if err != nil {
			return err
		}
		return n4.Bucket([]byte("n5")).Put([]byte(fmt.Sprintf("seq-%d", s)), randBytes(rng, 10))
	})
	return "5-deep chain, sequences 3 / 2^40+7", err
}

// ---- inline ---------------------------------------------------------------------------

func genInline(db *bolt.DB, rng *rand.Rand) (string, error) {
	type limitCase struct {
		name    string
		keys    int // number of keys
		keyLen  int // length of each key (zero-padded decimal index)
		imgSize int // target leaf image size: 16 + keys*(16+keyLen) + sum(values)
	}
	const ps = 4096 // default page size on x86_64
	cases := []limitCase{
		{"limit-1024-one", 1, 1, ps / 4},
		{"limit-1025-one", 1, 1, ps/4 + 1},
		{"limit-1024-multi", 7, 8, ps / 4},
		{"limit-1025-multi", 7, 8, ps/4 + 1},
		{"limit-1023-multi", 7, 8, ps/4 - 1},
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < 200; i++ {
			b, err := tx.CreateBucket([]byte(fmt.Sprintf("inline-%03d", i)))
			if err != nil {
				return err
			}
			for j := 0; j < rng.Intn(11); j++ {
				if err := b.Put(randKey(rng, 1, 12), randBytes(rng, randSize(rng, 0, 40))); err != nil {
					return err
				}
			}
		}
		for _, c := range cases {
			b, err := tx.CreateBucket([]byte(c.name))
			if err != nil {
				return err
			}
			// image = 16 + keys*(16+keyLen) + sum(values)
			valTotal := c.imgSize - 16 - c.keys*(16+c.keyLen)
			for j := 0; j < c.keys; j++ {
				n := valTotal / c.keys
				if j == c.keys-1 {
					n = valTotal - (c.keys-1)*(valTotal/c.keys)
				}
				k := []byte(fmt.Sprintf("%0*d", c.keyLen, j))
				if err := b.Put(k, textValue(rng, n)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	// A second transaction touching the limit buckets again (the inline
	// decision is re-made for modified buckets only) and growing one bucket
	// across the limit.
	err = db.Update(func(tx *bolt.Tx) error {
		for _, c := range cases {
			b := tx.Bucket([]byte(c.name))
			k := []byte(fmt.Sprintf("%0*d", c.keyLen, 0))
			v := cloneBytes(b.Get(k))
			if err := b.Put(k, v); err != nil { // same size: stays on its side
				return err
			}
		}
		grow := tx.Bucket([]byte("inline-007"))
		return grow.Put([]byte("grow-past-limit"), textValue(rng, 1100))
	})
	if err != nil {
		return "", err
	}
	// Verify the inline decisions Go made.
	var got []string
	err = db.View(func(tx *bolt.Tx) error {
		for _, c := range cases {
			inline := tx.Bucket([]byte(c.name)).Root() == 0
			want := c.imgSize <= ps/4
			if inline != want {
				return fmt.Errorf("bucket %s (image %d): inline=%v, expected %v", c.name, c.imgSize, inline, want)
			}
			got = append(got, fmt.Sprintf("%s inline=%v", c.name, inline))
		}
		return nil
	})
	return strings.Join(got, ", "), err
}

// ---- bigfreelist -------------------------------------------------------------------------

func genBigFreelist(db *bolt.DB, rng *rand.Rand) (string, error) {
	// 17 values of 16 MiB = 17 * 4097 pages ≈ 69,649 pages; then delete them.
	const n, size = 17, 16 << 20
	val := randBytes(rng, size)
	// Four values per transaction keeps the dirty-page memory of a commit
	// small; one bucket per transaction keeps earlier leaves from being
	// rewritten (which would only grow the file).
	var names [][]byte
	for start := 0; start < n; start += 4 {
		name := []byte(fmt.Sprintf("big-%02d", start/4))
		names = append(names, name)
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket(name)
			if err != nil {
				return err
			}
			for i := start; i < n && i < start+4; i++ {
				// The same buffer for every value: bbolt keeps a reference
				// until commit, and it is never modified.
				if err := b.Put([]byte(fmt.Sprintf("blob-%02d", i)), val); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range names {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		b, err := tx.CreateBucket([]byte("after"))
		if err != nil {
			return err
		}
		for i := 0; i < 10; i++ {
			if err := b.Put([]byte(fmt.Sprintf("k%d", i)), textValue(rng, 100)); err != nil {
				return err
			}
		}
		return nil
	})
	return "", err
}

// ---- nofreelistsync -----------------------------------------------------------------------

func genNoFreelistSync(db *bolt.DB, rng *rand.Rand) (string, error) {
	steps := []func(tx *bolt.Tx) error{
		func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("a"))
			if err != nil {
				return err
			}
			for i := 0; i < 2000; i++ {
				if err := b.Put([]byte(fmt.Sprintf("a-%06d", i)), textValue(rng, randSize(rng, 20, 300))); err != nil {
					return err
				}
			}
			c, err := tx.CreateBucket([]byte("c"))
			if err != nil {
				return err
			}
			for i := 0; i < 300; i++ {
				if err := c.Put([]byte(fmt.Sprintf("c-%04d", i)), textValue(rng, 100)); err != nil {
					return err
				}
			}
			return nil
		},
		func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("a"))
			for i := 0; i < 2000; i += 2 {
				if err := b.Delete([]byte(fmt.Sprintf("a-%06d", i))); err != nil {
					return err
				}
			}
			nb, err := tx.CreateBucket([]byte("b"))
			if err != nil {
				return err
			}
			sub, err := nb.CreateBucket([]byte("nested"))
			if err != nil {
				return err
			}
			return sub.Put([]byte("big"), textValue(rng, 20000))
		},
		func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("c")) },
		func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("a")).Put([]byte("a-000001"), textValue(rng, 5000))
		},
	}
	for _, s := range steps {
		if err := db.Update(s); err != nil {
			return "", err
		}
	}
	return "", nil
}

// ---- page size variants ---------------------------------------------------------------------

// genMixed: nested buckets (inline and page-based) and overflow values, then
// deletions; used for the non-default page sizes.
func genMixed(db *bolt.DB, rng *rand.Rand) (string, error) {
	for t := 0; t < 4; t++ {
		err := db.Update(func(tx *bolt.Tx) error {
			top, err := tx.CreateBucketIfNotExists([]byte("mixed"))
			if err != nil {
				return err
			}
			for i := 0; i < 300; i++ {
				if err := top.Put([]byte(fmt.Sprintf("k-%d-%04d", t, i)), textValue(rng, randSize(rng, 10, 400))); err != nil {
					return err
				}
			}
			for i := 0; i < 3; i++ {
				if err := top.Put([]byte(fmt.Sprintf("large-%d-%d", t, i)), randBytes(rng, randSize(rng, 5000, 150000))); err != nil {
					return err
				}
			}
			lvl := top
			for d := 0; d < 3; d++ {
				lvl, err = lvl.CreateBucketIfNotExists([]byte(fmt.Sprintf("depth-%d", d)))
				if err != nil {
					return err
				}
				n := 2
				if d == 1 {
					n = 80 // page-based
				}
				for i := 0; i < n; i++ {
					if err := lvl.Put([]byte(fmt.Sprintf("d%d-%d-%03d", d, t, i)), textValue(rng, randSize(rng, 0, 120))); err != nil {
						return err
					}
				}
			}
			small, err := tx.CreateBucketIfNotExists([]byte(fmt.Sprintf("small-%d", t)))
			if err != nil {
				return err
			}
			return small.Put([]byte("x"), []byte("y"))
		})
		if err != nil {
			return "", err
		}
	}
	err := db.Update(func(tx *bolt.Tx) error {
		top := tx.Bucket([]byte("mixed"))
		for _, k := range plainKeys(top) {
			if rng.Intn(2) == 0 {
				if err := top.Delete(k); err != nil {
					return err
				}
			}
		}
		return tx.DeleteBucket([]byte("small-1"))
	})
	return "", err
}

// ---- churn ------------------------------------------------------------------------------------

func churnValueSize(rng *rand.Rand) int {
	switch r := rng.Intn(100); {
	case r < 70:
		return rng.Intn(201)
	case r < 95:
		return randSize(rng, 200, 3000)
	default:
		return randSize(rng, 3000, 10000)
	}
}

// deleteBucketPath deletes the bucket at path (len >= 1).
func deleteBucketPath(tx *bolt.Tx, p [][]byte) error {
	if len(p) == 1 {
		return tx.DeleteBucket(p[0])
	}
	return bucketAt(tx, p[:len(p)-1]).DeleteBucket(p[len(p)-1])
}

// isUnder reports whether q is p or inside p.
func isUnder(q, p [][]byte) bool {
	if len(q) < len(p) {
		return false
	}
	for i := range p {
		if !bytes.Equal(q[i], p[i]) {
			return false
		}
	}
	return true
}

// genChurn: 200 random transactions.
//
// Bucket deletions are done first in a transaction, before anything is
// modified: bbolt 1.3.6's DeleteBucket walks the doomed bucket with ForEach
// while deleting its sub-buckets; if the bucket's leaf was already
// materialized as a node in this transaction, the iteration skips every
// other sub-bucket and their pages leak ("unreachable unfreed" in tx.Check).
// That is a Go bug, not a format property, so the generator avoids it.
func genChurn(db *bolt.DB, rng *rand.Rand) (string, error) {
	var ops [6]int
	for t := 0; t < 200; t++ {
		err := db.Update(func(tx *bolt.Tx) error {
			paths := collectBuckets(tx)
			sort.Slice(paths, func(i, j int) bool { return fmtPath(paths[i]) < fmtPath(paths[j]) })
			if t > 20 && len(paths) > 0 && rng.Intn(3) == 0 {
				p := paths[rng.Intn(len(paths))]
				if err := deleteBucketPath(tx, p); err != nil {
					return err
				}
				kept := paths[:0]
				for _, q := range paths {
					if !isUnder(q, p) {
						kept = append(kept, q)
					}
				}
				paths = kept
				ops[1]++
			}
			nops := 1 + rng.Intn(60)
			for o := 0; o < nops; o++ {
				r := rng.Intn(100)
				if len(paths) == 0 || r < 4 {
					// create a bucket: top-level or nested (max nesting 4)
					var parent [][]byte
					if len(paths) > 0 && rng.Intn(2) == 0 {
						parent = paths[rng.Intn(len(paths))]
					}
					if len(parent) >= 4 {
						parent = nil
					}
					name := []byte(fmt.Sprintf("b-%d-%d", t, o))
					var err error
					if parent == nil {
						_, err = tx.CreateBucket(name)
					} else {
						_, err = bucketAt(tx, parent).CreateBucket(name)
					}
					if err != nil {
						return err
					}
					paths = append(paths, appendPath(parent, name))
					ops[0]++
					continue
				}
				pi := rng.Intn(len(paths))
				p := paths[pi]
				b := bucketAt(tx, p)
				switch {
				case r < 65:
					k := randKey(rng, 1, 300)
					if rng.Intn(2) == 0 {
						k = []byte(fmt.Sprintf("key-%06d", rng.Intn(20000)))
					}
					if b.Bucket(k) != nil {
						continue
					}
					if err := b.Put(k, randBytes(rng, churnValueSize(rng))); err != nil {
						return err
					}
					ops[2]++
				default:
					// delete the key at or after a random point
					c := b.Cursor()
					k, v := c.Seek(randKey(rng, 1, 8))
					if k == nil {
						k, v = c.First()
					}
					if k == nil || v == nil {
						continue
					}
					if err := b.Delete(cloneBytes(k)); err != nil {
						return err
					}
					ops[3]++
				}
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("tx %d: %v", t, err)
		}
	}
	return fmt.Sprintf("200 txs: %d bucket creates, %d bucket deletes, %d puts, %d deletes", ops[0], ops[1], ops[2], ops[3]), nil
}
