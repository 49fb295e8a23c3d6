package main

// `oracle dump FILE`: JSON Lines, depth-first in cursor order, a bucket's line
// before its contents. Byte strings are base64 (standard alphabet, padded),
// which is what encoding/json does for []byte.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// Field order of these structs is the output key order.
type dumpBucket struct {
	Type     string   `json:"type"`
	Path     [][]byte `json:"path"`
	Sequence uint64   `json:"sequence"`
}

type dumpKV struct {
	Type  string   `json:"type"`
	Path  [][]byte `json:"path"`
	Key   []byte   `json:"key"`
	Value []byte   `json:"value"`
}

type dumper struct {
	enc   *json.Encoder
	lines int64
	max   int64 // every entry needs >= 17 bytes of the file: more lines means a cycle
}

func (d *dumper) emit(x interface{}) error {
	d.lines++
	if d.lines > d.max {
		return fmt.Errorf("more than %d entries in a file of this size: cyclic page references (corrupt file)", d.max)
	}
	return d.enc.Encode(x)
}

// nonNil keeps an empty byte string from being encoded as null.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func appendPath(path [][]byte, name []byte) [][]byte {
	p := make([][]byte, len(path)+1)
	copy(p, path)
	p[len(path)] = nonNil(name)
	return p
}

// walk dumps the entries of cursor c, which belongs to the bucket at path.
// sub returns the sub-bucket for a nil-valued entry.
func (d *dumper) walk(path [][]byte, c *bolt.Cursor, sub func(name []byte) *bolt.Bucket) error {
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if b := sub(k); b != nil {
				bp := appendPath(path, k)
				if err := d.emit(dumpBucket{"bucket", bp, b.Sequence()}); err != nil {
					return err
				}
				if err := d.walk(bp, b.Cursor(), b.Bucket); err != nil {
					return err
				}
				continue
			}
		}
		if err := d.emit(dumpKV{"kv", path, nonNil(k), nonNil(v)}); err != nil {
			return err
		}
	}
	return nil
}

func cmdDump(path string) int {
	if err := existingFile(path); err != nil {
		fmt.Fprintf(os.Stderr, "oracle dump: %v\n", err)
		return 1
	}
	st, _ := os.Stat(path)
	limitAddressSpace(path)
	db, err := openRecover(path, readOnlyOptions())
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle dump: open %s: %v\n", path, err)
		return 1
	}
	defer func() { _ = db.Close() }()

	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	d := &dumper{enc: json.NewEncoder(out), max: st.Size()/17 + 1}
	d.enc.SetEscapeHTML(false)

	debug.SetPanicOnFault(true)
	err = func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic while reading (corrupt file?): %v", r)
			}
		}()
		return db.View(func(tx *bolt.Tx) error {
			return d.walk([][]byte{}, tx.Cursor(), tx.Bucket)
		})
	}()
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle dump: %v\n", err)
		return 1
	}
	return 0
}
