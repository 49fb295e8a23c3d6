package main

// `oracle info FILE`: human-readable summary from the raw verifier's view.

import (
	"fmt"
	"os"
	"strings"
)

func cmdInfo(path string) int {
	rep, err := verifyFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle info: %v\n", err)
		return 1
	}
	fmt.Printf("file: %s (%d bytes)\n", path, rep.FileSize)
	for i, m := range rep.Metas {
		if !m.Present {
			fmt.Printf("meta %d: missing (%s)\n", i, strings.Join(m.Invalid, "; "))
			continue
		}
		fl := fmt.Sprint(m.Freelist)
		if m.Freelist == noFreelist {
			fl = "none (NoFreelistSync)"
		}
		sum := "ok"
		if !m.Valid {
			sum = "INVALID: " + strings.Join(m.Invalid, "; ")
		}
		active := ""
		if rep.Active == i {
			active = "  [active]"
		}
		fmt.Printf("meta %d: txid %d, root %d (seq %d), freelist %s, hwm %d, pageSize %d, checksum %016x %s%s\n",
			i, m.TxID, m.Root, m.Sequence, fl, m.HWM, m.PageSize, m.Checksum, sum, active)
	}
	if rep.Active < 0 {
		fmt.Println("no valid meta page")
		return 1
	}
	trick := ""
	if rep.CountTrick {
		trick = " (count field 0xFFFF, real count in first u64)"
	}
	src := "freelist page"
	if rep.Freelist == noFreelist {
		src = "not persisted; = unreachable pages"
	}
	fmt.Printf("free ids: %d [%s]%s%s\n", rep.Free, src, trick, sample(rep.FreeIDs, 16))
	k := rep.KindCount
	fmt.Printf("pages: hwm %d; meta %d, freelist %d (+%d overflow), branch %d, leaf %d, overflow %d, free %d, unreachable-unfree %d",
		rep.HWM, k[kindMeta], k[kindFreelist], k[kindFreelistOverflow], k[kindBranch], k[kindLeaf], k[kindOverflow],
		rep.Free, rep.Unfree)
	if k[kindBadTree] > 0 {
		fmt.Printf(", invalid %d", k[kindBadTree])
	}
	fmt.Println()
	fmt.Printf("buckets: %d (%d inline), keys %d, max tree depth %d, max nesting %d\n",
		rep.Buckets, rep.Inline, rep.Keys, rep.MaxDepth, rep.MaxNesting)
	for _, w := range rep.Warnings {
		fmt.Printf("warning: %s\n", w)
	}
	if rep.NProblems > 0 {
		fmt.Printf("problems: %d (run `oracle check` for the list)\n", rep.NProblems)
	} else {
		fmt.Println("problems: none (raw verifier)")
	}
	return 0
}

func sample(ids []uint64, max int) string {
	if len(ids) == 0 {
		return ""
	}
	parts := make([]string, 0, max)
	for i, id := range ids {
		if i == max {
			parts = append(parts, fmt.Sprintf("… %d more", len(ids)-max))
			break
		}
		parts = append(parts, fmt.Sprint(id))
	}
	return ": " + strings.Join(parts, ", ")
}
