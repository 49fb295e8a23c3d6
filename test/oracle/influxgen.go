package main

// gen-influx: an influxd.bolt the way influxd 2.8/2.9 (hashing off, or not
// yet started with it on) leaves it, at benchmark scale. The bucket set, the
// 21 migration records and the record shapes follow the v2.8–v2.9 fixture
// (spec §4, §9, §10): struct field order, Go's JSON escaping, times in RFC
// 3339 with nanoseconds (tenant objects in UTC, authorizations in the local
// offset of the writing process), snowflake user/auth IDs, random org and
// bucket IDs without the bytes 0x5C 0x2C 0x20.
//
// Content: ORGS = max(1, N/5000) orgs (each with _tasks, _monitoring and a
// user bucket), USERS = max(1, N/50) users (passwords all the fixture's
// bcrypt string: the cost of bcrypt is not what is measured), each a member
// of one org through a URM (the first user, "admin", owns every org), and N
// authorizations: every 100th an operator token, every 10th an all-access
// token, the rest custom tokens with 1–3 bucket permissions; 1 in 20
// inactive. With --hashed K the first K authorizations are stored as 2.9
// stores them (hashedToken, hashed index), the rest raw (raw index).
//
// --big BYTES appends about that much other data, as a busy instance has:
// tasksv1 (~1–2 KB flux tasks), keyvaluelogv1 (~200–400 B log entries, many
// keys), dashboardcellviewsv1 (4–40 KB views: overflow pages) and
// templates/documents/content (64–512 KB documents), written after the auth
// data in transactions of about 32 MB.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// influxd's bucket set in a v2.8–v2.9 file (the fixture has exactly these 54).
var influxBuckets = []string{
	"authorizationhashedindexv1", "authorizationindexv1", "authorizationsv1", "bucketindexv1", "bucketsv1",
	"checkindexv1", "checksv1", "dashboardcellviewsv1", "dashboardsv2", "dbrpbyorganddbindexv1", "dbrpbyorgv1",
	"dbrpdefaultv1", "dbrpv1", "idsv1", "keyvaluelogindexv1", "keyvaluelogv1", "labelindexv1", "labelmappingsv1",
	"labelsv1", "legacy/authorizationPasswordv1", "legacy/authorizationindexv1", "legacy/authorizationsv1",
	"migrationsv1", "notificationEndpointIndexv1", "notificationEndpointv1", "notificationRulev1", "onboardingv1",
	"organizationindexv1", "organizationsv1", "orgsdashboardsv1", "remotesv2", "replicationsv2", "scraperv2",
	"secretsv1", "sourcesv1", "taskIndexsv1", "taskRunsv1", "tasksv1", "telegrafPluginsv1", "telegrafbyorgindexv1",
	"telegrafv1", "templates/documents/content", "templates/documents/meta", "userindexv1",
	"userresourcemappingsbyuserindexv1", "userresourcemappingsv1", "userspasswordv1", "usersv1", "v1_pkger_stacks",
	"v1_pkger_stacks_index", "v1_tsm1_metadata", "variableorgsv1", "variablesindexv1", "variablesv1",
}

// The names influxd 2.9.1 records in migrationsv1, by ID 1..21.
var influxMigrations = []string{
	"initial migration",
	`add index "userresourcemappingsbyuserindexv1"`,
	"migrate task owner id",
	"create DBRP buckets",
	"create pkger stacks buckets",
	"delete sessionsv1 bucket",
	"Create TSM metadata buckets",
	"Create Legacy authorization buckets",
	"Create legacy auth password bucket",
	`add index "telegrafbyorgindexv1"`,
	"populate dashboards owner id",
	`add index "dbrpbyorgv1"`,
	"repair DBRP owner and bucket IDs",
	`add index "dbrpbyorgv1"`,
	"record shard group durations in bucket metadata",
	"add annotations and notebooks resource types to operator token",
	"add annotations and notebooks resource types to all-access tokens",
	"repair missing shard group durations",
	"add remotes and replications resource types to operator and all-access tokens",
	"create remotes and replications metrics buckets",
	"create authorizationhashedindexv1 bucket",
}

// AllResourceTypes without "instance" (spec §6).
var influxResourceTypes = []string{
	"authorizations", "buckets", "dashboards", "orgs", "sources", "tasks", "telegrafs", "users", "variables",
	"scrapers", "secrets", "labels", "views", "documents", "notificationRules", "notificationEndpoints", "checks",
	"dbrp", "notebooks", "annotations", "remotes", "replications",
}

const fixtureBcrypt = "$2a$10$PgvhXFogiRsXVHQxcHKEMOBRqI7yhTfiDMIQIKx1FaLMdM6LN0ND6"

// idHex is a platform.ID: JSON text of 16 lowercase hex digits, decoded the
// way influxd decodes it (exactly 16 bytes, non-zero).
type idHex uint64

func (id idHex) MarshalText() ([]byte, error) {
	if id == 0 {
		return nil, fmt.Errorf("invalid ID")
	}
	return []byte(fmt.Sprintf("%016x", uint64(id))), nil
}

func (id *idHex) UnmarshalText(b []byte) error {
	if len(b) != 16 {
		return fmt.Errorf("id must have a length of 16 bytes")
	}
	v, err := strconv.ParseUint(string(b), 16, 64)
	if err != nil {
		return err
	}
	if v == 0 {
		return fmt.Errorf("invalid ID")
	}
	*id = idHex(v)
	return nil
}

func (id idHex) key() []byte { return []byte(fmt.Sprintf("%016x", uint64(id))) }

// The JSON shapes of influxd's structs, fields in declaration order.
type influxResource struct {
	Type  string `json:"type"`
	ID    *idHex `json:"id,omitempty"`
	OrgID *idHex `json:"orgID,omitempty"`
}

type influxPermission struct {
	Action   string         `json:"action"`
	Resource influxResource `json:"resource"`
}

type influxAuth struct {
	ID          idHex              `json:"id"`
	Token       string             `json:"token,omitempty"`
	HashedToken string             `json:"hashedToken,omitempty"`
	Status      string             `json:"status"`
	Description string             `json:"description"`
	OrgID       idHex              `json:"orgID"`
	UserID      idHex              `json:"userID,omitempty"`
	Permissions []influxPermission `json:"permissions"`
	CreatedAt   time.Time          `json:"createdAt"`
	UpdatedAt   time.Time          `json:"updatedAt"`
}

type influxUser struct {
	ID      idHex  `json:"id,omitempty"`
	Name    string `json:"name"`
	OAuthID string `json:"oauthID,omitempty"`
	Status  string `json:"status"`
}

type influxOrg struct {
	ID          idHex     `json:"id,omitempty"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

type influxBucketRec struct {
	ID                 idHex     `json:"id,omitempty"`
	OrgID              idHex     `json:"orgID,omitempty"`
	Type               int       `json:"type"`
	Name               string    `json:"name"`
	Description        string    `json:"description"`
	RetentionPeriod    int64     `json:"retentionPeriod"`
	ShardGroupDuration int64     `json:"shardGroupDuration"`
	CreatedAt          time.Time `json:"createdAt"`
	UpdatedAt          time.Time `json:"updatedAt"`
}

type influxURM struct {
	UserID       idHex  `json:"userID"`
	UserType     string `json:"userType"`
	MappingType  string `json:"mappingType"`
	ResourceType string `json:"resourceType"`
	ResourceID   idHex  `json:"resourceID"`
}

type influxMigration struct {
	ID         idHex      `json:"id"`
	Name       string     `json:"name"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// snowflake: 42 bits of ms since 2017-04-09, 10 bits machine, 12 bits sequence.
func snowflakeID(t time.Time, machine, seq int) idHex {
	ms := uint64(t.UnixNano()/1e6) - 1491696000000
	return idHex(ms<<22 | uint64(machine&1023)<<12 | uint64(seq&4095))
}

// rand.NewOrgBucketID: random, with 0x5C, 0x2C and 0x20 bytes bumped by one.
func orgBucketID(rng *rand.Rand) idHex {
	for {
		v := rng.Uint64()
		var out uint64
		for i := 7; i >= 0; i-- {
			b := byte(v >> (uint(i) * 8))
			if b == 0x5C || b == 0x2C || b == 0x20 {
				b++
			}
			out = out<<8 | uint64(b)
		}
		if out != 0 {
			return idHex(out)
		}
	}
}

// influxdToken: 64 random bytes, base64 URL alphabet with padding (88 chars).
func influxdToken(rng *rand.Rand) string {
	b := make([]byte, 64)
	rng.Read(b)
	return base64.URLEncoding.EncodeToString(b)
}

// influxdHash: $influxdb2-sha256$ + base64url-with-padding(SHA-256(token)) (spec §8.1).
func influxdHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "$influxdb2-sha256$" + base64.URLEncoding.EncodeToString(sum[:])
}

func idp(id idHex) *idHex { return &id }

func operPermissions() []influxPermission {
	ps := make([]influxPermission, 0, 2*len(influxResourceTypes))
	for _, t := range influxResourceTypes {
		ps = append(ps, influxPermission{"read", influxResource{Type: t}}, influxPermission{"write", influxResource{Type: t}})
	}
	return ps
}

func allAccessPermissions(org, user idHex) []influxPermission {
	var ps []influxPermission
	for _, t := range influxResourceTypes {
		switch t {
		case "orgs":
			ps = append(ps, influxPermission{"read", influxResource{Type: t, ID: idp(org)}})
		case "users":
			ps = append(ps, influxPermission{"read", influxResource{Type: t, ID: idp(user)}}, influxPermission{"write", influxResource{Type: t, ID: idp(user)}})
		default:
			ps = append(ps, influxPermission{"read", influxResource{Type: t, OrgID: idp(org)}}, influxPermission{"write", influxResource{Type: t, OrgID: idp(org)}})
		}
	}
	return ps
}

// parseBytes: an integer with an optional K, M or G suffix (powers of 1024).
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func cmdGenInflux(args []string) int {
	fail := func(format string, a ...interface{}) int {
		fmt.Fprintf(os.Stderr, "oracle gen-influx: "+format+"\n", a...)
		return 1
	}
	var pos []string
	var big int64
	hashed := 0
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--big", "--hashed":
			if i+1 >= len(args) {
				return fail("%s needs a value", args[i])
			}
			if args[i] == "--big" {
				b, err := parseBytes(args[i+1])
				if err != nil {
					return fail("%v", err)
				}
				big = b
			} else {
				h, err := strconv.Atoi(args[i+1])
				if err != nil || h < 0 {
					return fail("bad --hashed %q", args[i+1])
				}
				hashed = h
			}
			i++
		default:
			pos = append(pos, args[i])
		}
	}
	if len(pos) != 2 {
		return fail("usage: oracle gen-influx OUT N [--big BYTES] [--hashed K]")
	}
	out := pos[0]
	n, err := strconv.Atoi(pos[1])
	if err != nil || n < 1 {
		return fail("bad N %q", pos[1])
	}
	if hashed > n {
		return fail("--hashed %d is more than N %d", hashed, n)
	}
	if _, err := os.Lstat(out); err == nil {
		return fail("%s already exists (refusing to overwrite)", out)
	}
	db, err := bolt.Open(out, 0600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		return fail("open %s: %v", out, err)
	}
	g := &influxGen{db: db, rng: rand.New(rand.NewSource(42)), zone: time.FixedZone("", -4*3600)}
	start := time.Now()
	err = g.tenants(n)
	if err == nil {
		err = g.authorizations(n, hashed)
	}
	if err == nil && big > 0 {
		err = g.bigData(big)
	}
	if err == nil {
		err = db.Sync()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail("%v", err)
	}
	st, _ := os.Stat(out)
	fmt.Printf("{\"op\":\"gen-influx\",\"n\":%d,\"hashed\":%d,\"orgs\":%d,\"users\":%d,\"bytes\":%d,\"s\":%.1f}\n",
		n, hashed, len(g.orgs), len(g.users), st.Size(), time.Since(start).Seconds())
	return 0
}

type influxGen struct {
	db    *bolt.DB
	rng   *rand.Rand
	zone  *time.Location
	orgs  []idHex
	users []idHex
	// user bucket of each org, and each user's org
	orgBucket []idHex
	userOrg   []int
}

func mustJSON(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// tenants: the schema (buckets, migrations, ids, default source), orgs with
// their buckets, users with passwords, indexes and URMs.
func (g *influxGen) tenants(n int) error {
	return g.db.Update(func(tx *bolt.Tx) error {
		for _, name := range influxBuckets {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		b := func(name string) *bolt.Bucket { return tx.Bucket([]byte(name)) }
		put := func(bucket string, k, v []byte) {
			if err := b(bucket).Put(k, v); err != nil {
				panic(err)
			}
		}
		t0 := time.Date(2023, 3, 1, 9, 30, 0, 0, time.UTC)
		at := t0
		for i, name := range influxMigrations {
			started := at.Add(time.Duration(g.rng.Intn(900000)) * time.Microsecond)
			finished := started.Add(time.Duration(1000+g.rng.Intn(90000)) * time.Microsecond)
			at = finished
			if i == 17 { // 2.1 → later releases: the rest ran at a later upgrade
				at = time.Date(2025, 2, 5, 21, 1, 39, 324723948, time.UTC)
			}
			put("migrationsv1", idHex(i+1).key(), mustJSON(influxMigration{idHex(i + 1), name, started, &finished}))
		}
		put("idsv1", []byte("id"), snowflakeID(t0, 113, 0).key())
		put("sourcesv1", []byte("020f755c3c082000"), []byte(`{"id":"020f755c3c082000","orgID":"50616e67652c206c","default":true,"name":"autogen","type":"self","url":"","telegraf":"","token":"","defaultRP":""}`))

		nOrgs, nUsers := n/5000, n/50
		if nOrgs < 1 {
			nOrgs = 1
		}
		if nUsers < 1 {
			nUsers = 1
		}
		tt := t0.Add(5 * time.Minute)
		tick := func() time.Time {
			tt = tt.Add(time.Duration(50000+g.rng.Intn(500000)) * time.Microsecond)
			return tt
		}
		var metaDBs [][]byte
		for i := 0; i < nOrgs; i++ {
			id := orgBucketID(g.rng)
			ct := tick()
			name := fmt.Sprintf("org%03d", i)
			if i == 0 {
				name = "myorg"
			}
			put("organizationsv1", id.key(), mustJSON(influxOrg{id, name, "", ct, ct}))
			put("organizationindexv1", []byte(name), id.key())
			g.orgs = append(g.orgs, id)
			sys := []struct {
				name, desc string
				rp         int64
			}{{"_tasks", "System bucket for task logs", 259200000000000}, {"_monitoring", "System bucket for monitoring logs", 604800000000000}}
			for _, s := range sys {
				bid := orgBucketID(g.rng)
				bt := tick()
				put("bucketsv1", bid.key(), mustJSON(influxBucketRec{bid, id, 1, s.name, s.desc, s.rp, 86400000000000, bt, bt}))
				put("bucketindexv1", append(id.key(), s.name...), bid.key())
				metaDBs = append(metaDBs, metaDatabase(bid, s.rp, 86400000000000))
			}
			bid := orgBucketID(g.rng)
			bt := tick()
			put("bucketsv1", bid.key(), mustJSON(influxBucketRec{bid, id, 0, "telemetry", "", 0, 604800000000000, bt, bt}))
			put("bucketindexv1", append(id.key(), "telemetry"...), bid.key())
			metaDBs = append(metaDBs, metaDatabase(bid, 0, 604800000000000))
			g.orgBucket = append(g.orgBucket, bid)
		}
		put("v1_tsm1_metadata", []byte("meta.db"), metaData(metaDBs))
		urm := func(user idHex, userType string, org idHex) {
			k := append(org.key(), user.key()...)
			put("userresourcemappingsv1", k, mustJSON(influxURM{user, userType, "user", "orgs", org}))
			put("userresourcemappingsbyuserindexv1", append(append(user.key(), '/'), k...), k)
		}
		for i := 0; i < nUsers; i++ {
			ut := tick()
			id := snowflakeID(ut, 200, 0)
			name := fmt.Sprintf("user%05d", i)
			if i == 0 {
				name = "admin"
			}
			put("usersv1", id.key(), mustJSON(influxUser{ID: id, Name: name, Status: "active"}))
			put("userindexv1", []byte(name), id.key())
			put("userspasswordv1", id.key(), []byte(fixtureBcrypt))
			g.users = append(g.users, id)
			org := i % nOrgs
			g.userOrg = append(g.userOrg, org)
			if i == 0 {
				for _, o := range g.orgs {
					urm(id, "owner", o)
				}
			} else {
				urm(id, "member", g.orgs[org])
			}
		}
		return nil
	})
}

var customDescriptions = []string{
	"telegraf writer for %s", "grafana read-only (%s)", "ci pipeline: read & write %s", "backup job <%s>", "edge gateway %s",
}

// authorizations: N tokens in transactions of 5,000, keys in ID order.
func (g *influxGen) authorizations(n, hashed int) error {
	t := time.Date(2023, 3, 2, 8, 0, 0, 0, time.UTC)
	for lo := 0; lo < n; lo += 5000 {
		err := g.db.Update(func(tx *bolt.Tx) error {
			auths := tx.Bucket([]byte("authorizationsv1"))
			rawIdx := tx.Bucket([]byte("authorizationindexv1"))
			hashIdx := tx.Bucket([]byte("authorizationhashedindexv1"))
			for i := lo; i < lo+5000 && i < n; i++ {
				t = t.Add(time.Duration(1+g.rng.Intn(600000)) * time.Millisecond)
				id := snowflakeID(t, 200, i&4095)
				ui := 0
				if i > 0 {
					ui = g.rng.Intn(len(g.users))
				}
				user, oi := g.users[ui], g.userOrg[ui]
				org := g.orgs[oi]
				a := influxAuth{ID: id, Status: "active", OrgID: org, UserID: user}
				switch {
				case i%100 == 0:
					a.Description = fmt.Sprintf("user%05d's Token", ui)
					if ui == 0 {
						a.Description = "admin's Token"
					}
					a.Permissions = operPermissions()
				case i%10 == 0:
					a.Description = fmt.Sprintf("all-access token %d", i)
					a.Permissions = allAccessPermissions(org, user)
				default:
					a.Description = fmt.Sprintf(customDescriptions[i%len(customDescriptions)], fmt.Sprintf("site-%d", i))
					bucket := g.orgBucket[oi]
					a.Permissions = []influxPermission{{"read", influxResource{Type: "buckets", ID: idp(bucket), OrgID: idp(org)}}}
					if i%3 != 0 {
						a.Permissions = append(a.Permissions, influxPermission{"write", influxResource{Type: "buckets", ID: idp(bucket), OrgID: idp(org)}})
					}
					if i%7 == 0 {
						a.Permissions = append(a.Permissions, influxPermission{"read", influxResource{Type: "dashboards", OrgID: idp(org)}})
					}
				}
				if i%20 == 19 {
					a.Status = "inactive"
				}
				a.CreatedAt = t.In(g.zone).Add(time.Duration(g.rng.Intn(1000)) * time.Microsecond)
				a.UpdatedAt = a.CreatedAt
				if i%4 == 0 {
					a.UpdatedAt = a.CreatedAt.Add(time.Duration(g.rng.Intn(86400)) * time.Second)
				}
				token := influxdToken(g.rng)
				if i < hashed {
					a.HashedToken = influxdHash(token)
					if err := hashIdx.Put([]byte(a.HashedToken), id.key()); err != nil {
						return err
					}
				} else {
					a.Token = token
					if err := rawIdx.Put([]byte(token), id.key()); err != nil {
						return err
					}
				}
				if err := auths.Put(id.key(), mustJSON(a)); err != nil {
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

// bigText returns n bytes of JSON-safe text (words and spaces) starting at a
// random place in a fixed pool: never 86 token characters in a row.
func (g *influxGen) bigText(pool []byte, n int) []byte {
	if n > len(pool) {
		n = len(pool)
	}
	off := g.rng.Intn(len(pool) - n + 1)
	return pool[off : off+n]
}

func (g *influxGen) bigData(total int64) error {
	words := []string{"from", "bucket", "range", "start", "filter", "fn", "r", "measurement", "cpu", "mem", "disk",
		"aggregateWindow", "every", "mean", "yield", "to", "org", "host", "usage_user", "field", "value", "|>", "=>",
		"name", "query", "time", "v.timeRangeStart", "1m", "5m", "true", "false", "limit", "sort", "group", "columns"}
	var sb strings.Builder
	for sb.Len() < 1<<20 {
		sb.WriteString(words[g.rng.Intn(len(words))])
		sb.WriteByte(' ')
	}
	pool := []byte(sb.String())

	type share struct {
		bucket   string
		fraction float64
		lo, hi   int
		value    func(i int, body []byte) []byte
	}
	base := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	shares := []share{
		{"tasksv1", 0.10, 800, 2000, func(i int, body []byte) []byte {
			return []byte(fmt.Sprintf(`{"id":"%016x","type":"system","orgID":"%016x","name":"task %d","status":"active","flux":%q,"every":"1m","latestCompleted":"2023-04-01T00:00:00Z"}`,
				uint64(snowflakeID(base.Add(time.Duration(i)*time.Second), 200, 0)), uint64(g.orgs[i%len(g.orgs)]), i, body))
		}},
		{"keyvaluelogv1", 0.30, 150, 350, func(i int, body []byte) []byte {
			return []byte(fmt.Sprintf(`{"id":%d,"time":"%s","entry":%q}`, i, base.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), body))
		}},
		{"dashboardcellviewsv1", 0.35, 4000, 40000, func(i int, body []byte) []byte {
			return []byte(fmt.Sprintf(`{"id":"%016x","name":"cell %d","properties":{"shape":"chronograf-v2","queries":[{"text":%q}]}}`, i+1, i, body))
		}},
		{"templates/documents/content", 0.25, 64 << 10, 512 << 10, func(i int, body []byte) []byte {
			return []byte(fmt.Sprintf(`{"id":"%016x","content":%q}`, i+1, body))
		}},
	}
	for _, s := range shares {
		want := int64(float64(total) * s.fraction)
		var written int64
		i := 0
		for written < want {
			err := g.db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte(s.bucket))
				var batch int64
				for batch < 32<<20 && written < want {
					v := s.value(i, g.bigText(pool, randSize(g.rng, s.lo, s.hi)))
					k := []byte(fmt.Sprintf("%016x%08x", uint64(i)*7919+1, i))
					if err := b.Put(k, v); err != nil {
						return err
					}
					batch += int64(len(k) + len(v))
					written += int64(len(k) + len(v))
					i++
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// meta.db is the protobuf Data message of influxd's v1 meta store
// (v1/services/meta/internal/meta.proto): a database per bucket, named by the
// bucket's ID, with one "autogen" policy, as influxd's bucket service creates
// it. Encoded by hand on the wire format; proto2 required fields all present.
func pbVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func pbUint(b []byte, field int, v uint64) []byte {
	return pbVarint(pbVarint(b, uint64(field)<<3), v)
}

func pbBytes(b []byte, field int, v []byte) []byte {
	b = pbVarint(pbVarint(b, uint64(field)<<3|2), uint64(len(v)))
	return append(b, v...)
}

func metaDatabase(bucket idHex, retention, shardGroup int64) []byte {
	var rp []byte
	rp = pbBytes(rp, 1, []byte("autogen"))
	rp = pbUint(rp, 2, uint64(retention))
	rp = pbUint(rp, 3, uint64(shardGroup))
	rp = pbUint(rp, 4, 1)
	var db []byte
	db = pbBytes(db, 1, bucket.key())
	db = pbBytes(db, 2, []byte("autogen"))
	return pbBytes(db, 3, rp)
}

func metaData(dbs [][]byte) []byte {
	var d []byte
	d = pbUint(d, 1, 0)
	d = pbUint(d, 2, uint64(len(dbs)))
	d = pbUint(d, 3, 0)
	for _, db := range dbs {
		d = pbBytes(d, 5, db)
	}
	d = pbUint(d, 7, 0)
	d = pbUint(d, 8, 0)
	return pbUint(d, 9, 0)
}
