package main

// The Go sides of the influxd-level benchmark cases (bench/run.ts):
//
// bench-authlist FILE: what a Go tool listing tokens does, streamed: user
// and org names read into maps first, then every authorizationsv1 record
// decoded with encoding/json into influxd's Authorization shape (IDs decoded
// as platform.ID does, times as time.Time), classified (operator,
// all-access, custom) and printed as its element of one JSON array, byte for
// byte what `influx-recover auth list --json` prints.
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
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// authListRow is one element of `influx-recover auth list --json`, fields in
// its order: the bench asserts that both outputs are byte-identical.
type authListRow struct {
	ID          idHex              `json:"id"`
	Description string             `json:"description"`
	Status      string             `json:"status"`
	Kind        string             `json:"kind"`
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

// The token resource types of each permission level, newest first (the
// operator set is read and write on each; influxd's AllResourceTypes without
// "instance").
var tokenTypesByLevel = func() []map[string]bool {
	all := []string{"authorizations", "buckets", "dashboards", "orgs", "sources", "tasks", "telegrafs", "users", "variables",
		"scrapers", "secrets", "labels", "views", "documents", "notificationRules", "notificationEndpoints", "checks", "dbrp",
		"notebooks", "annotations", "remotes", "replications"}
	set := func(n int) map[string]bool {
		m := map[string]bool{}
		for _, t := range all[:n] {
			m[t] = true
		}
		return m
	}
	return []map[string]bool{set(22), set(20), set(18)}
}()

type permKey struct {
	action, typ   string
	id, orgID     idHex
	hasID, hasOrg bool
}

// tokenClassifier says what `auth list` says in "kind": operator when the
// distinct permissions are exactly the operator set of some level,
// all-access when they are exactly the all-access set of some level for the
// token's org and user, custom otherwise. Its map is reused across records.
type tokenClassifier struct{ distinct map[permKey]struct{} }

func (c *tokenClassifier) kind(a *influxAuth) string {
	for k := range c.distinct {
		delete(c.distinct, k)
	}
	for _, p := range a.Permissions {
		k := permKey{action: p.Action, typ: p.Resource.Type}
		if p.Resource.ID != nil {
			k.id, k.hasID = *p.Resource.ID, true
		}
		if p.Resource.OrgID != nil {
			k.orgID, k.hasOrg = *p.Resource.OrgID, true
		}
		c.distinct[k] = struct{}{}
	}
	n := len(c.distinct)
	action := func(k permKey) bool { return k.action == "read" || k.action == "write" }
	for _, types := range tokenTypesByLevel {
		if n != 2*len(types) {
			continue
		}
		all := true
		for k := range c.distinct {
			if !action(k) || !types[k.typ] || k.hasID || k.hasOrg {
				all = false
				break
			}
		}
		if all {
			return "operator"
		}
	}
	if a.UserID == 0 || a.OrgID == 0 {
		return "custom"
	}
	for _, types := range tokenTypesByLevel {
		if n != 2*len(types)-1 {
			continue
		}
		all := true
		for k := range c.distinct {
			var ok bool
			switch {
			case !action(k) || !types[k.typ]:
				ok = false
			case k.typ == "orgs":
				ok = k.action == "read" && k.hasID && k.id == a.OrgID && !k.hasOrg
			case k.typ == "users":
				ok = k.hasID && k.id == a.UserID && !k.hasOrg
			default:
				ok = !k.hasID && k.hasOrg && k.orgID == a.OrgID
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return "all-access"
		}
	}
	return "custom"
}

// cmdBenchAuthList is what a plain Go program listing tokens does, as well as
// Go does it: user and org names decoded into maps first, then one pass over
// authorizationsv1 that decodes each record with encoding/json into
// influxd's Authorization shape (one reused struct), classifies it, and
// streams its row, indented like ours, into a 64 KiB buffered stdout: the
// rows are never collected.
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
	n := 0
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
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
		// Encoder: MarshalIndent without its HTML escaping (ours escapes no
		// <, > or &), into one reused buffer; the element's text is indented
		// once more, as an element of an array indented by 2.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("  ", "  ")
		cls := tokenClassifier{distinct: map[permKey]struct{}{}}
		var a influxAuth
		c := tx.Bucket([]byte("authorizationsv1")).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			// reuse the permissions' array, zeroed: Unmarshal leaves a field
			// the JSON does not have as it was
			perms := a.Permissions[:cap(a.Permissions)]
			for i := range perms {
				perms[i] = influxPermission{}
			}
			a = influxAuth{Permissions: perms[:0]}
			if err := decodeInfluxAuth(v, &a); err != nil {
				return err
			}
			r := authListRow{ID: a.ID, Description: a.Description, Status: a.Status, Kind: cls.kind(&a), TokenState: "none", Token: a.Token,
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
			buf.Reset()
			if err := enc.Encode(&r); err != nil {
				return err
			}
			if n == 0 {
				w.WriteString("[\n  ")
			} else {
				w.WriteString(",\n  ")
			}
			w.Write(buf.Bytes()[:buf.Len()-1]) // Encode ends the value with a newline
			n++
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if n == 0 {
			w.WriteString("[]\n")
		} else {
			w.WriteString("\n]\n")
		}
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle bench-authlist: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "{\"op\":\"authlist\",\"ms\":%s,\"n\":%d}\n", msSince(start), n)
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
