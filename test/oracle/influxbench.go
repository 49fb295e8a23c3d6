package main

// The Go sides of the influxd-level benchmark cases (bench/run.ts):
//
// bench-authlist FILE: what a Go tool listing tokens does: every
// authorizationsv1 record decoded with encoding/json into influxd's
// Authorization shape (IDs decoded as platform.ID does, times as time.Time),
// user and org names resolved from usersv1/organizationsv1, and one JSON
// array (2-space indent, like ours) printed on stdout.
//
// bench-hash FILE: what influxd 2.9 does at start-up with --use-hashed-tokens
// (authorization.NewStore: findHashVariants, then HashedTokenMigration): one
// view transaction decoding every record to inventory the hash variants, a
// second one collecting the records with a token and no hashedToken, then
// batches of 100 records, one read-write bbolt transaction (and so one
// fsync'd commit) each; per record the SHA-256 PHC hash is computed, the
// record re-encoded with json.Marshal without its token, the hashed index
// entry put, the record put, the raw index entry deleted (UpdateAuthorization
// → commitAuthorization + deleteIndices).
//
// Both print {"op":…,"ms":…,"n":…} on stderr (bench-hash on stdout); the
// benchmark times the whole process from outside.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

type authListRow struct {
	ID          idHex              `json:"id"`
	Description string             `json:"description"`
	Status      string             `json:"status"`
	TokenState  string             `json:"tokenState"`
	Token       string             `json:"token,omitempty"`
	HashedToken string             `json:"hashedToken,omitempty"`
	UserID      *idHex             `json:"userID"`
	UserName    *string            `json:"userName"`
	OrgID       idHex              `json:"orgID"`
	OrgName     *string            `json:"orgName"`
	Permissions []influxPermission `json:"permissions"`
	CreatedAt   time.Time          `json:"createdAt"`
	UpdatedAt   time.Time          `json:"updatedAt"`
}

func decodeInfluxAuth(v []byte, a *influxAuth) error {
	if err := json.Unmarshal(v, a); err != nil {
		return fmt.Errorf("decodeAuthorization: %w", err)
	}
	if a.Status == "" {
		a.Status = "active"
	}
	return nil
}

func cmdBenchAuthList(path string) int {
	if err := existingFile(path); err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-authlist: %v\n", err)
		return 1
	}
	start := time.Now()
	db, err := bolt.Open(path, 0600, readOnlyOptions())
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-authlist: open: %v\n", err)
		return 1
	}
	var rows []authListRow
	err = db.View(func(tx *bolt.Tx) error {
		users := map[idHex]string{}
		orgs := map[idHex]string{}
		if err := tx.Bucket([]byte("usersv1")).ForEach(func(k, v []byte) error {
			var u influxUser
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			users[u.ID] = u.Name
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("organizationsv1")).ForEach(func(k, v []byte) error {
			var o influxOrg
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			orgs[o.ID] = o.Name
			return nil
		}); err != nil {
			return err
		}
		c := tx.Bucket([]byte("authorizationsv1")).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var a influxAuth
			if err := decodeInfluxAuth(v, &a); err != nil {
				return err
			}
			r := authListRow{ID: a.ID, Description: a.Description, Status: a.Status, TokenState: "none", Token: a.Token,
				HashedToken: a.HashedToken, OrgID: a.OrgID, Permissions: a.Permissions, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
			if a.Token != "" {
				r.TokenState = "raw"
			} else if a.HashedToken != "" {
				r.TokenState = "hashed"
			}
			if a.UserID != 0 {
				uid := a.UserID
				r.UserID = &uid
				if name, ok := users[uid]; ok {
					r.UserName = &name
				}
			}
			if name, ok := orgs[a.OrgID]; ok {
				r.OrgName = &name
			}
			rows = append(rows, r)
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		w := bufio.NewWriterSize(os.Stdout, 1<<16)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err = enc.Encode(rows); err == nil {
			err = w.Flush()
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-authlist: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "{\"op\":\"authlist\",\"ms\":%s,\"n\":%d}\n", msSince(start), len(rows))
	return 0
}

func cmdBenchHash(path string) int {
	if err := existingFile(path); err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-hash: %v\n", err)
		return 1
	}
	fail := func(err error) int {
		fmt.Fprintf(os.Stderr, "oracle bench-hash: %v\n", err)
		return 1
	}
	start := time.Now()
	// influxd's bolt client: mode 0600, 1 s lock timeout, every commit fsync'd.
	db, err := bolt.Open(path, 0600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	forEach := func(tx *bolt.Tx, fn func(a *influxAuth)) error {
		c := tx.Bucket([]byte("authorizationsv1")).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			a := &influxAuth{Permissions: make([]influxPermission, 64)}
			if err := decodeInfluxAuth(v, a); err != nil {
				return err
			}
			fn(a)
		}
		return nil
	}
	// findHashVariants
	variants := map[string]bool{}
	err = db.View(func(tx *bolt.Tx) error {
		return forEach(tx, func(a *influxAuth) {
			if a.HashedToken != "" {
				if parts := strings.SplitN(a.HashedToken, "$", 3); len(parts) == 3 {
					variants[parts[1]] = true
				}
			}
		})
	})
	if err != nil {
		return fail(err)
	}
	// HashedTokenMigration: collect, then batches of 100
	var todo []*influxAuth
	err = db.View(func(tx *bolt.Tx) error {
		return forEach(tx, func(a *influxAuth) {
			if a.HashedToken == "" && a.Token != "" {
				todo = append(todo, a)
			}
		})
	})
	if err != nil {
		return fail(err)
	}
	for lo := 0; lo < len(todo); lo += 100 {
		hi := lo + 100
		if hi > len(todo) {
			hi = len(todo)
		}
		err := db.Update(func(tx *bolt.Tx) error {
			auths := tx.Bucket([]byte("authorizationsv1"))
			rawIdx := tx.Bucket([]byte("authorizationindexv1"))
			hashIdx := tx.Bucket([]byte("authorizationhashedindexv1"))
			for _, a := range todo[lo:hi] {
				initialToken := a.Token
				a.HashedToken = influxdHash(a.Token)
				redacted := *a
				redacted.Token = ""
				v, err := json.Marshal(&redacted)
				if err != nil {
					return err
				}
				id := a.ID.key()
				if err := hashIdx.Put([]byte(a.HashedToken), id); err != nil {
					return err
				}
				if err := auths.Put(id, v); err != nil {
					return err
				}
				if err := rawIdx.Delete([]byte(initialToken)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fail(err)
		}
	}
	if err := db.Close(); err != nil {
		return fail(err)
	}
	fmt.Printf("{\"op\":\"hash\",\"ms\":%s,\"n\":%d,\"variantsFound\":%d}\n", msSince(start), len(todo), len(variants))
	return 0
}
