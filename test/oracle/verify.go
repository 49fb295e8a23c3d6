package main

// Independent byte-level verifier. It reads the whole file with os.ReadFile
// and never goes through bbolt, so it can see (and report) everything bbolt
// 1.3.6 silently tolerates: key order, branch key == child's first key,
// header id == position, exact flag values, element bounds, inline bucket
// images, free ids beyond the high-water mark, ...
//
// Rules follow /work/shared/spec/bbolt-format.md §1–§7 and §11.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strings"
)

const (
	metaMagic      = 0xED0CDAED
	metaVersion    = 2
	pageHeaderSize = 16
	elemSize       = 16
	metaSize       = 64 // meta struct after the page header
	flagBranch     = 0x01
	flagLeaf       = 0x02
	flagMeta       = 0x04
	flagFreelist   = 0x10
	flagBucketElem = 0x01
	noFreelist     = ^uint64(0)

	maxLinesPerCategory = 50
)

type pageKind uint8

const (
	kindNone pageKind = iota
	kindMeta
	kindFreelist
	kindFreelistOverflow
	kindBranch
	kindLeaf
	kindOverflow // continuation page of a multi-page branch/leaf
	kindBadTree  // referenced as a tree page but with an invalid header
)

var kindNames = map[pageKind]string{
	kindNone:             "none",
	kindMeta:             "meta",
	kindFreelist:         "freelist",
	kindFreelistOverflow: "freelist-overflow",
	kindBranch:           "branch",
	kindLeaf:             "leaf",
	kindOverflow:         "overflow",
	kindBadTree:          "invalid-tree-page",
}

func (k pageKind) String() string { return kindNames[k] }

// metaInfo is one decoded meta page.
type metaInfo struct {
	Slot      int
	Offset    uint64
	Present   bool // enough bytes in the file to decode it
	HdrID     uint64
	HdrFlags  uint16
	HdrCount  uint16
	HdrOvf    uint32
	Magic     uint32
	Version   uint32
	PageSize  uint32
	Flags     uint32
	Root      uint64
	Sequence  uint64
	Freelist  uint64
	HWM       uint64
	TxID      uint64
	Checksum  uint64
	Computed  uint64
	Valid     bool     // bbolt's notion: magic, version and checksum are right
	Invalid   []string // why not valid
	HdrIssues []string // header problems (id != slot, flags != 0x04, ...)
}

// rawReport is everything the verifier found.
type rawReport struct {
	FileSize   int64
	Metas      [2]metaInfo
	Active     int // -1 when no valid meta
	PageSize   uint64
	HWM        uint64
	Root       uint64
	Freelist   uint64
	TxID       uint64
	Reachable  int
	Free       int // ids listed free (or, without a persisted freelist, unreachable ids in [2,hwm))
	Unfree     int // ids in [0,hwm) neither reachable nor free (each one is a problem)
	FreeIDs    []uint64
	CountTrick bool // freelist count field was 0xFFFF
	Buckets    int  // all buckets except the root bucket
	Inline     int
	Keys       int // plain key/value pairs in all buckets
	MaxDepth   int // deepest tree (1 = single page) over all page-based buckets
	MaxNesting int // deepest bucket nesting (top-level bucket = 1)
	KindCount  map[pageKind]int
	Problems   []string // already capped per category
	NProblems  int      // total problems, including suppressed lines
	Warnings   []string
}

func (r *rawReport) OK() bool { return r.NProblems == 0 }

type verifier struct {
	data    []byte
	ps      uint64
	hwm     uint64
	kind    []pageKind
	ref     []uint64 // for overflow pages: id of the head page
	free    []bool
	onStack map[uint64]bool
	rep     *rawReport
	catN    map[string]int
	catMore map[string]int
	catOrd  []string
}

func (v *verifier) problem(cat, format string, args ...interface{}) {
	v.rep.NProblems++
	n := v.catN[cat]
	if n == 0 && v.catMore[cat] == 0 {
		v.catOrd = append(v.catOrd, cat)
	}
	if n < maxLinesPerCategory {
		v.catN[cat] = n + 1
		v.rep.Problems = append(v.rep.Problems, fmt.Sprintf(format, args...))
	} else {
		v.catMore[cat]++
	}
}

func (v *verifier) warn(format string, args ...interface{}) {
	v.rep.Warnings = append(v.rep.Warnings, fmt.Sprintf(format, args...))
}

// fmtPath renders a bucket path for messages.
func fmtPath(path [][]byte) string {
	if len(path) == 0 {
		return "<root>"
	}
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = fmtKey(p)
	}
	return strings.Join(parts, "/")
}

// fmtKey renders a key: quoted if printable, otherwise hex; long keys are cut.
func fmtKey(k []byte) string {
	printable := true
	for _, c := range k {
		if c < 0x20 || c > 0x7e {
			printable = false
			break
		}
	}
	const max = 40
	cut := ""
	if len(k) > max {
		k = k[:max]
		cut = "…"
	}
	if printable {
		return fmt.Sprintf("%q%s", string(k), cut)
	}
	return fmt.Sprintf("0x%x%s", k, cut)
}

func u16(b []byte, off uint64) uint16 { return binary.LittleEndian.Uint16(b[off : off+2]) }
func u32(b []byte, off uint64) uint32 { return binary.LittleEndian.Uint32(b[off : off+4]) }
func u64(b []byte, off uint64) uint64 { return binary.LittleEndian.Uint64(b[off : off+8]) }

// fnv64a is the meta checksum function.
func fnv64a(b []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}

// decodeMeta decodes the meta page at byte offset off (slot = expected id).
func decodeMeta(data []byte, off uint64, slot int) metaInfo {
	m := metaInfo{Slot: slot, Offset: off}
	if uint64(len(data)) < off+pageHeaderSize+metaSize {
		m.Invalid = append(m.Invalid, "file too short")
		return m
	}
	m.Present = true
	p := data[off:]
	m.HdrID = u64(p, 0)
	m.HdrFlags = u16(p, 8)
	m.HdrCount = u16(p, 10)
	m.HdrOvf = u32(p, 12)
	m.Magic = u32(p, 16)
	m.Version = u32(p, 20)
	m.PageSize = u32(p, 24)
	m.Flags = u32(p, 28)
	m.Root = u64(p, 32)
	m.Sequence = u64(p, 40)
	m.Freelist = u64(p, 48)
	m.HWM = u64(p, 56)
	m.TxID = u64(p, 64)
	m.Checksum = u64(p, 72)
	m.Computed = fnv64a(p[16:72])
	if m.Magic != metaMagic {
		m.Invalid = append(m.Invalid, fmt.Sprintf("bad magic 0x%08x", m.Magic))
	}
	if m.Version != metaVersion {
		m.Invalid = append(m.Invalid, fmt.Sprintf("version %d != 2", m.Version))
	}
	if m.Checksum != m.Computed {
		m.Invalid = append(m.Invalid, fmt.Sprintf("checksum 0x%016x != computed 0x%016x", m.Checksum, m.Computed))
	}
	m.Valid = len(m.Invalid) == 0
	if m.HdrID != uint64(slot) {
		m.HdrIssues = append(m.HdrIssues, fmt.Sprintf("header id %d != slot %d", m.HdrID, slot))
	}
	if m.HdrFlags != flagMeta {
		m.HdrIssues = append(m.HdrIssues, fmt.Sprintf("header flags 0x%02x != 0x04", m.HdrFlags))
	}
	if m.HdrCount != 0 || m.HdrOvf != 0 {
		m.HdrIssues = append(m.HdrIssues, fmt.Sprintf("header count %d / overflow %d != 0", m.HdrCount, m.HdrOvf))
	}
	return m
}

func validPageSize(ps uint64) bool {
	return ps >= 512 && ps <= 1<<20 && ps&(ps-1) == 0
}

// verifyFile reads path and verifies it. The error is only for I/O failure.
func verifyFile(path string) (*rawReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return verifyBytes(data), nil
}

// verifyBytes never panics: a panic inside is turned into a problem.
func verifyBytes(data []byte) (rep *rawReport) {
	v := &verifier{
		data:    data,
		onStack: map[uint64]bool{},
		rep:     &rawReport{FileSize: int64(len(data)), Active: -1, KindCount: map[pageKind]int{}},
		catN:    map[string]int{},
		catMore: map[string]int{},
	}
	defer func() {
		if r := recover(); r != nil {
			v.problem("panic", "verifier panic (corrupt input not handled): %v", r)
		}
		for _, cat := range v.catOrd {
			if n := v.catMore[cat]; n > 0 {
				v.rep.Problems = append(v.rep.Problems,
					fmt.Sprintf("... and %d more problems of kind %q not shown", n, cat))
			}
		}
		rep = v.rep
	}()
	v.run()
	return v.rep
}

func (v *verifier) run() {
	rep := v.rep
	data := v.data

	// --- meta pages -------------------------------------------------------
	m0 := decodeMeta(data, 0, 0)
	var m1 metaInfo
	if m0.Valid && validPageSize(uint64(m0.PageSize)) {
		m1 = decodeMeta(data, uint64(m0.PageSize), 1)
	} else {
		// Meta 0 is unusable: probe the usual page sizes for meta 1.
		m1 = decodeMeta(data, 4096, 1)
		for i := uint(0); i <= 14 && !m1.Valid; i++ {
			off := uint64(1024) << i
			if c := decodeMeta(data, off, 1); c.Valid && uint64(c.PageSize) == off {
				m1 = c
			}
		}
	}
	rep.Metas = [2]metaInfo{m0, m1}

	switch {
	case m0.Valid && m1.Valid:
		if m1.TxID > m0.TxID {
			rep.Active = 1
		} else {
			rep.Active = 0
		}
		if m0.PageSize != m1.PageSize {
			v.problem("meta", "meta pages disagree on page size: %d vs %d", m0.PageSize, m1.PageSize)
		}
	case m0.Valid:
		rep.Active = 0
	case m1.Valid:
		rep.Active = 1
	}
	for i, m := range rep.Metas {
		if !m.Valid {
			msg := fmt.Sprintf("meta %d invalid: %s", i, strings.Join(m.Invalid, "; "))
			if rep.Active >= 0 {
				v.warn("%s (using meta %d)", msg, rep.Active)
			} else {
				v.problem("meta", "%s", msg)
			}
			continue
		}
		for _, s := range m.HdrIssues {
			v.problem("meta", "meta %d: %s", i, s)
		}
		if m.Flags != 0 {
			v.warn("meta %d: flags field is 0x%x (always 0 in Go files)", i, m.Flags)
		}
	}
	if rep.Active < 0 {
		v.problem("meta", "no valid meta page: cannot verify further")
		return
	}
	am := rep.Metas[rep.Active]
	v.ps = uint64(am.PageSize)
	if !validPageSize(v.ps) {
		v.problem("meta", "active meta %d: unusable page size %d", rep.Active, am.PageSize)
		return
	}
	rep.PageSize, rep.HWM, rep.Root, rep.Freelist, rep.TxID = v.ps, am.HWM, am.Root, am.Freelist, am.TxID
	v.hwm = am.HWM

	if v.hwm < 3 {
		v.problem("meta", "active meta %d: high-water mark %d < 3", rep.Active, v.hwm)
		return
	}
	if filePages := uint64(len(data)) / v.ps; v.hwm > filePages {
		v.problem("size", "file size %d < hwm %d * page size %d", len(data), v.hwm, v.ps)
		if v.hwm > 4*filePages+1024 {
			v.problem("meta", "active meta %d: absurd high-water mark %d for a %d-byte file: cannot verify further",
				rep.Active, v.hwm, len(data))
			return
		}
	}
	v.kind = make([]pageKind, v.hwm)
	v.ref = make([]uint64, v.hwm)
	v.free = make([]bool, v.hwm)
	v.kind[0], v.kind[1] = kindMeta, kindMeta

	// --- freelist -----------------------------------------------------------
	if am.Freelist != noFreelist {
		v.checkFreelist(am.Freelist)
	}

	// --- trees ------------------------------------------------------------
	if am.Root == 0 {
		v.problem("root", "root bucket is inline (meta root page id 0)")
	} else {
		v.walkPage(nil, true, am.Root, 0, 1, nil, nil, nil)
	}

	// --- reachable XOR free -----------------------------------------------------
	for id := uint64(0); id < v.hwm; id++ {
		reach := v.kind[id] != kindNone
		if reach {
			rep.Reachable++
			rep.KindCount[v.kind[id]]++
		}
		if am.Freelist == noFreelist {
			if !reach {
				rep.Free++
				rep.FreeIDs = append(rep.FreeIDs, id)
			}
			continue
		}
		switch {
		case reach && v.free[id]:
			v.problem("reachable-free", "page %d: reachable (%s) and listed free", id, v.kind[id])
		case !reach && !v.free[id]:
			rep.Unfree++
			v.problem("unreachable", "page %d: unreachable and not free", id)
		}
	}
}

func (v *verifier) checkFreelist(fl uint64) {
	rep := v.rep
	if fl < 2 || fl >= v.hwm {
		v.problem("freelist", "freelist page id %d outside [2, hwm %d)", fl, v.hwm)
		return
	}
	if (fl+1)*v.ps > uint64(len(v.data)) {
		v.problem("freelist", "freelist page %d beyond end of file", fl)
		return
	}
	p := v.data[fl*v.ps:]
	id, flags, count, ovf := u64(p, 0), u16(p, 8), u16(p, 10), uint64(u32(p, 12))
	if id != fl {
		v.problem("freelist", "freelist page %d: header id %d != %d", fl, id, fl)
	}
	if flags != flagFreelist {
		v.problem("freelist", "freelist page %d: flags 0x%02x != 0x10", fl, flags)
	}
	end := fl + ovf
	if end >= v.hwm {
		v.problem("freelist", "freelist page %d: run of %d pages ends at %d >= hwm %d", fl, ovf+1, end, v.hwm)
	}
	for q := fl; q <= end && q < v.hwm; q++ {
		if v.kind[q] != kindNone {
			v.problem("multiref", "page %d: freelist run overlaps %s page", q, v.kind[q])
			continue
		}
		if q == fl {
			v.kind[q] = kindFreelist
		} else {
			v.kind[q] = kindFreelistOverflow
			v.ref[q] = fl
		}
	}
	size := (ovf + 1) * v.ps
	if fl*v.ps+size > uint64(len(v.data)) {
		v.problem("freelist", "freelist page %d: run extends past end of file", fl)
		size = uint64(len(v.data)) - fl*v.ps
	}
	n, idsOff := uint64(count), uint64(pageHeaderSize)
	if count == 0xFFFF {
		rep.CountTrick = true
		if size < pageHeaderSize+8 {
			v.problem("freelist", "freelist page %d: too short for the count word", fl)
			return
		}
		n = u64(p, pageHeaderSize)
		idsOff += 8
		if n < 0xFFFF {
			v.warn("freelist page %d: count field 0xFFFF but real count %d < 65535 (Go never writes this)", fl, n)
		}
	}
	if max := (size - idsOff) / 8; n > max {
		v.problem("freelist", "freelist page %d: %d ids do not fit in %d page(s) (room for %d)", fl, n, ovf+1, max)
		n = max
	}
	var prev uint64
	for i := uint64(0); i < n; i++ {
		fid := u64(p, idsOff+8*i)
		if i > 0 && fid <= prev {
			if fid == prev {
				v.problem("freelist-order", "freelist: id %d listed twice (index %d)", fid, i)
			} else {
				v.problem("freelist-order", "freelist: ids not ascending: index %d id %d after %d", i, fid, prev)
			}
		}
		prev = fid
		switch {
		case fid >= v.hwm:
			v.problem("freelist-range", "freelist: free id %d >= hwm %d", fid, v.hwm)
		case fid < 2:
			v.problem("freelist-range", "freelist: free id %d is a meta page", fid)
			v.free[fid] = true
		default:
			if !v.free[fid] {
				rep.Free++
				rep.FreeIDs = append(rep.FreeIDs, fid)
			}
			v.free[fid] = true
		}
	}
	sort.Slice(rep.FreeIDs, func(a, b int) bool { return rep.FreeIDs[a] < rep.FreeIDs[b] })
}

// elem is one decoded branch or leaf element.
type elem struct {
	flags uint32
	key   []byte
	value []byte // leaf only
	child uint64 // branch only
	ok    bool   // fully inside the page
}

// decodeElems decodes count elements of a page image buf (header included).
// where is used in messages. Elements out of bounds are reported and marked !ok.
func (v *verifier) decodeElems(buf []byte, leaf bool, count uint64, where string) []elem {
	size := uint64(len(buf))
	if pageHeaderSize+elemSize*count > size {
		v.problem("bounds", "%s: %d elements do not fit in %d bytes", where, count, size)
		return nil
	}
	els := make([]elem, count)
	for i := uint64(0); i < count; i++ {
		off := pageHeaderSize + elemSize*i
		var e elem
		var pos, ksz, vsz uint64
		if leaf {
			e.flags = u32(buf, off)
			pos, ksz, vsz = uint64(u32(buf, off+4)), uint64(u32(buf, off+8)), uint64(u32(buf, off+12))
		} else {
			pos, ksz = uint64(u32(buf, off)), uint64(u32(buf, off+4))
			e.child = u64(buf, off+8)
		}
		kstart := off + pos
		vend := kstart + ksz + vsz
		if vend > size {
			v.problem("bounds", "%s: element %d (pos %d, ksize %d, vsize %d) extends to %d past %d bytes",
				where, i, pos, ksz, vsz, vend, size)
			els[i] = e
			continue
		}
		e.key = buf[kstart : kstart+ksz]
		if leaf {
			e.value = buf[kstart+ksz : vend]
		}
		e.ok = true
		els[i] = e
	}
	return els
}

// checkKeys applies the per-page key rules: non-empty, strictly increasing,
// inside [lo, hi).
func (v *verifier) checkKeys(els []elem, lo, hi []byte, where string) {
	var prev []byte
	havePrev := false
	for i, e := range els {
		if !e.ok {
			havePrev = false
			continue
		}
		if len(e.key) == 0 {
			v.problem("key", "%s: element %d has an empty key", where, i)
		}
		if havePrev && bytes.Compare(e.key, prev) <= 0 {
			v.problem("key-order", "%s: key[%d]=%s not greater than key[%d]=%s", where, i, fmtKey(e.key), i-1, fmtKey(prev))
		}
		if lo != nil && bytes.Compare(e.key, lo) < 0 {
			v.problem("key-range", "%s: key[%d]=%s < parent branch key %s", where, i, fmtKey(e.key), fmtKey(lo))
		}
		if hi != nil && bytes.Compare(e.key, hi) >= 0 {
			v.problem("key-range", "%s: key[%d]=%s >= next parent branch key %s", where, i, fmtKey(e.key), fmtKey(hi))
		}
		prev, havePrev = e.key, true
	}
}

// walkPage verifies tree page id of the bucket at path and everything below it.
// depth 0 = bucket root. nesting = bucket nesting level (root bucket 0).
// lo/hi bound the keys; expectFirst (non-nil) is the parent's branch key.
func (v *verifier) walkPage(path [][]byte, isRootBucket bool, id uint64, depth, nesting int, lo, hi, expectFirst []byte) {
	where := fmt.Sprintf("bucket %s page %d", fmtPath(path), id)
	if id < 2 {
		v.problem("pointer", "%s: tree points to meta page %d", where, id)
		return
	}
	if id >= v.hwm {
		v.problem("pointer", "%s: page id out of bounds (hwm %d)", where, v.hwm)
		return
	}
	if v.onStack[id] {
		v.problem("cycle", "%s: cycle in tree (page is its own ancestor)", where)
		return
	}
	if k := v.kind[id]; k != kindNone {
		if k == kindOverflow {
			v.problem("multiref", "%s: referenced twice (already an overflow page of page %d)", where, v.ref[id])
		} else {
			v.problem("multiref", "%s: referenced twice (already used as %s page)", where, k)
		}
		return
	}
	if (id+1)*v.ps > uint64(len(v.data)) {
		v.problem("bounds", "%s: beyond end of file", where)
		v.kind[id] = kindBadTree
		return
	}
	p := v.data[id*v.ps:]
	hid, flags, count, ovf := u64(p, 0), u16(p, 8), uint64(u16(p, 10)), uint64(u32(p, 12))
	if hid != id {
		v.problem("header-id", "%s: header id %d != position %d", where, hid, id)
	}
	if flags != flagBranch && flags != flagLeaf {
		v.problem("flags", "%s: invalid page flags 0x%02x (want exactly 0x01 or 0x02)", where, flags)
		v.kind[id] = kindBadTree
		return
	}
	leaf := flags == flagLeaf
	if leaf {
		v.kind[id] = kindLeaf
	} else {
		v.kind[id] = kindBranch
	}
	end := id + ovf
	if end >= v.hwm {
		v.problem("bounds", "%s: run of %d pages ends at %d >= hwm %d", where, ovf+1, end, v.hwm)
	}
	for q := id + 1; q <= end && q < v.hwm; q++ {
		if k := v.kind[q]; k != kindNone {
			v.problem("multiref", "%s: overflow page %d already used as %s page", where, q, k)
			continue
		}
		v.kind[q] = kindOverflow
		v.ref[q] = id
	}
	if (end+1)*v.ps > uint64(len(v.data)) {
		v.problem("bounds", "%s: run of %d pages extends past end of file", where, ovf+1)
		return
	}
	if d := depth + 1; d > v.rep.MaxDepth {
		v.rep.MaxDepth = d
	}
	buf := v.data[id*v.ps : (end+1)*v.ps]
	els := v.decodeElems(buf, leaf, count, where)
	v.checkKeys(els, lo, hi, where)
	if expectFirst != nil && len(els) > 0 && els[0].ok && !bytes.Equal(els[0].key, expectFirst) {
		v.problem("branch-key", "%s: first key %s != parent branch key %s", where, fmtKey(els[0].key), fmtKey(expectFirst))
	}
	if count == 0 {
		if !leaf {
			v.problem("empty", "%s: empty branch page", where)
		} else if depth > 0 {
			v.problem("empty", "%s: empty leaf page that is not a bucket root", where)
		}
	}

	if leaf {
		for i, e := range els {
			if !e.ok {
				continue
			}
			switch {
			case e.flags == flagBucketElem:
				v.bucketEntry(path, e.key, e.value, nesting, fmt.Sprintf("%s element %d", where, i))
			case e.flags != 0:
				v.problem("elem-flags", "%s: element %d has flags 0x%x", where, i, e.flags)
			case isRootBucket:
				v.problem("root-kv", "%s: root bucket element %d (%s) is not a bucket", where, i, fmtKey(e.key))
			default:
				v.rep.Keys++
			}
		}
		return
	}
	v.onStack[id] = true
	for i, e := range els {
		if !e.ok {
			continue
		}
		childHi := hi
		for j := i + 1; j < len(els); j++ {
			if els[j].ok {
				childHi = els[j].key
				break
			}
		}
		v.walkPage(path, isRootBucket, e.child, depth+1, nesting, e.key, childHi, e.key)
	}
	delete(v.onStack, id)
}

// bucketEntry verifies the value of a leaf element with the bucket flag.
func (v *verifier) bucketEntry(parent [][]byte, name, value []byte, nesting int, where string) {
	path := make([][]byte, len(parent)+1)
	copy(path, parent)
	path[len(parent)] = name
	v.rep.Buckets++
	if nesting > v.rep.MaxNesting {
		v.rep.MaxNesting = nesting
	}
	if len(value) < 16 {
		v.problem("bucket", "%s: bucket %s value is %d bytes (< 16-byte header)", where, fmtPath(path), len(value))
		return
	}
	root := u64(value, 0)
	if root != 0 {
		if len(value) != 16 {
			v.problem("bucket", "%s: page-based bucket %s value is %d bytes (want exactly 16)", where, fmtPath(path), len(value))
		}
		v.walkPage(path, false, root, 0, nesting+1, nil, nil, nil)
		return
	}
	v.rep.Inline++
	v.inlineBucket(path, value[16:])
}

func (v *verifier) inlineBucket(path [][]byte, img []byte) {
	where := fmt.Sprintf("inline bucket %s", fmtPath(path))
	if len(img) < pageHeaderSize {
		v.problem("inline", "%s: image is %d bytes (< 16-byte page header)", where, len(img))
		return
	}
	hid, flags, count, ovf := u64(img, 0), u16(img, 8), uint64(u16(img, 10)), u32(img, 12)
	if hid != 0 {
		v.problem("inline", "%s: page id %d (must be 0)", where, hid)
	}
	if flags != flagLeaf {
		v.problem("inline", "%s: flags 0x%02x (must be 0x02)", where, flags)
	}
	if ovf != 0 {
		v.problem("inline", "%s: overflow %d (must be 0)", where, ovf)
	}
	els := v.decodeElems(img, true, count, where)
	v.checkKeys(els, nil, nil, where)
	used := uint64(pageHeaderSize)
	for i, e := range els {
		if !e.ok {
			continue
		}
		used += elemSize + uint64(len(e.key)) + uint64(len(e.value))
		switch {
		case e.flags == flagBucketElem:
			v.problem("inline", "%s: element %d (%s) is a sub-bucket (not allowed in an inline bucket)", where, i, fmtKey(e.key))
		case e.flags != 0:
			v.problem("elem-flags", "%s: element %d has flags 0x%x", where, i, e.flags)
		default:
			v.rep.Keys++
		}
	}
	if used > v.ps/4 {
		v.warn("%s: leaf image %d bytes > pageSize/4 = %d (Go never writes such an inline bucket)", where, used, v.ps/4)
	}
	if used != uint64(len(img)) && len(els) == int(count) {
		v.warn("%s: image is %d bytes but elements use %d", where, len(img), used)
	}
}
