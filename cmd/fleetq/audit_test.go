package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/fleetq/fleetq/internal/store"
	"github.com/fleetq/fleetq/internal/store/storetest"
)

// The audit tests build their situations with passes ingested minutes
// ago on the real clock (no --now): decisions may refuse old evidence.

// newRecentFixture is the action fixture with its pass ingested 10
// minutes ago.
func newRecentFixture(t *testing.T) *actionFixture {
	f := &actionFixture{t: t, dir: t.TempDir()}
	f.db = filepath.Join(f.dir, "fleetq.db")
	f.policy = filepath.Join(f.dir, "policy.toml")
	require.NoError(t, os.WriteFile(f.policy, []byte(actionPolicy), 0o644))
	f.ingest(ago(10*time.Minute), nil)
	t.Cleanup(func() { storetest.MustCheck(t, f.db) })
	return f
}

// auditEntries lists the audit log as JSON, with optional flags.
func (f *actionFixture) auditEntries(args ...string) []store.AuditEntry {
	f.t.Helper()
	var es []store.AuditEntry
	require.NoError(f.t, json.Unmarshal([]byte(f.ok(append([]string{"audit", "--format", "json"}, args...)...)), &es))
	return es
}

// fail runs a command that must exit with code and returns its stderr.
func (f *actionFixture) fail(code int, args ...string) string {
	f.t.Helper()
	out, errOut, got := f.run(args...)
	require.Equal(f.t, code, got, "fleetq %v\nstdout: %s\nstderr: %s", args, out, errOut)
	return errOut
}

const zk = `cluster = "ams1-zk-01"`

func TestAuditRecordsDecisionsCommitsAndApplies(t *testing.T) {
	f := newRecentFixture(t)
	plan := f.decide("reboot", zk, "--reason", "kernel", "--seed", "3", "--as", "ann")
	applied := f.decide("apply", plan.Token, "--as", "bob")
	f.ok("drain", `cluster = "smf1-critical-01"`, "--reason", "disk", "--commit", "--yes", "--as", "cy")

	dec := f.auditEntries("--kind", "decision")
	require.Len(t, dec, 1)
	assert.Equal(t, plan.Audit, dec[0].ID)
	assert.Equal(t, plan.Token, dec[0].Token, "the token is in the entry as appended")
	assert.Equal(t, []string{"ann", "reboot", "kernel"}, []string{dec[0].Requester, dec[0].Verb, dec[0].Reason})
	assert.False(t, dec[0].Committed)
	assert.Equal(t, uint64(3), dec[0].Seed)

	app := f.auditEntries("--kind", "apply")
	require.Len(t, app, 1)
	assert.Equal(t, applied.Audit, app[0].ID)
	assert.Equal(t, plan.Audit, app[0].Plan, "names the plan it applied")
	assert.Equal(t, plan.Token, app[0].Token)
	assert.Equal(t, "bob", app[0].Requester)
	assert.True(t, app[0].Committed)
	assert.Equal(t, plan.Approved, app[0].Approved)

	com := f.auditEntries("--kind", "commit")
	require.Len(t, com, 1)
	assert.Equal(t, "drain", com[0].Verb)
	assert.Len(t, com[0].Approved, 1)
	assert.Len(t, f.auditEntries("--kind", "decision,commit"), 2)
	assert.Contains(t, f.ok("audit"), "commit")
}

func TestReapplyIsRefusedAsAlreadyApplied(t *testing.T) {
	f := newRecentFixture(t)
	plan := f.decide("reboot", zk, "--reason", "kernel")
	applied := f.decide("apply", plan.Token)
	stderr := f.fail(1, "apply", plan.Token, "--as", "dan")
	assert.Contains(t, stderr, fmt.Sprintf("already applied (audit %d) by ", applied.Audit))
	assert.NotContains(t, stderr, "stale")

	app := f.auditEntries("--kind", "apply")
	require.Len(t, app, 2, "the refusal is recorded too")
	ref := app[1]
	assert.Equal(t, applied.Audit, ref.AppliedBy)
	assert.Equal(t, plan.Audit, ref.Plan)
	assert.Equal(t, "dan", ref.Requester)
	assert.False(t, ref.Committed)
	assert.Contains(t, ref.Refused, "already applied")
	assert.Contains(t, stderr, fmt.Sprintf("refusal recorded as audit %d", ref.ID))
	assert.Contains(t, f.ok("audit", "--kind", "apply"), "REFUSED already applied")
	assert.Len(t, f.leases(), 1, "nothing granted twice")

	out, _, code := f.run("apply", plan.Token, "--format", "json")
	assert.Equal(t, 1, code)
	var r struct {
		Refused        string `json:"refused"`
		Audit          int64  `json:"audit"`
		AlreadyApplied bool   `json:"already_applied"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.True(t, r.AlreadyApplied)
	assert.Equal(t, ref.ID+1, r.Audit)
}

func TestStaleApplySaysWhatChanged(t *testing.T) {
	f := newRecentFixture(t)
	plan := f.decide("reboot", zk, "--reason", "kernel")
	commit := f.decide("drain", `cluster = "smf1-critical-01"`, "--reason", "disk", "--commit", "--yes", "--as", "eve")
	f.ingest(ago(5*time.Minute), nil)
	require.NoError(t, os.WriteFile(f.policy, []byte(strings.Replace(actionPolicy, "max_request = 500", "max_request = 400", 1)), 0o644))

	stderr := f.fail(1, "apply", plan.Token)
	assert.Contains(t, stderr, "plan is stale")
	assert.Contains(t, stderr, "planned on pass 1, the newest pass is now 2")
	assert.Contains(t, stderr, fmt.Sprintf("the ledger changed since the plan (version 0, now 1: audit %d commit drain by eve)", commit.Audit))
	assert.Contains(t, stderr, "the policy changed since the plan")

	app := f.auditEntries("--kind", "apply")
	require.Len(t, app, 1)
	assert.Equal(t, plan.Audit, app[0].Plan)
	assert.Contains(t, app[0].Refused, "the newest pass is now 2")
	assert.Equal(t, int64(2), app[0].Pass)
	assert.Empty(t, app[0].Approved)
	assert.Len(t, f.leases(), 1, "only the commit's lease")

	stderr = f.fail(1, "apply", "a1.p1.l0.deadbeef.s1")
	assert.Contains(t, stderr, "bad plan token")
	assert.Len(t, f.auditEntries("--kind", "apply"), 2, "an unknown token is a recorded refusal")
}

func TestReleaseEntriesSayReleasedKeptForced(t *testing.T) {
	f := newRecentFixture(t)
	f.ok("drain", `"dn0003.smf1,dn0005.smf1,dn0043.smf1"`, "--reason", "x", "--commit", "--yes")
	f.ingest(time.Time{}, nil) // health counts only on a pass sealed after the leases
	f.fail(1, "release", "dn0003.smf1", "dn0005.smf1", "zk00.ams1", "--as", "fay")
	f.ok("release", "dn0043.smf1", "--force", "--reason", "RMA 4411", "--as", "gus")

	rel := f.auditEntries("--kind", "release")
	require.Len(t, rel, 2)
	byHost := map[string]store.AuditHost{}
	for _, h := range rel[0].Hosts {
		byHost[h.Host] = h
	}
	assert.Equal(t, "kept", byHost["dn0003.smf1"].Result, "dead: not healthy")
	assert.Equal(t, "released", byHost["dn0005.smf1"].Result)
	assert.Equal(t, "no-lease", byHost["zk00.ams1"].Result)
	assert.Equal(t, "fay", rel[0].Requester)
	assert.Equal(t, []string{"dn0005.smf1"}, rel[0].Approved)
	require.Len(t, rel[0].Denied, 2)
	assert.Equal(t, "release:health", rel[0].Denied[0].Rule)
	assert.Equal(t, "release:no-lease", rel[0].Denied[1].Rule)

	assert.True(t, rel[1].Forced)
	assert.Equal(t, "RMA 4411", rel[1].Reason)
	require.Len(t, rel[1].Hosts, 1)
	assert.Equal(t, "forced", rel[1].Hosts[0].Result)
	assert.Contains(t, f.ok("audit", "--kind", "release"), "release 2 kept")
	assert.Contains(t, f.ok("audit", "show", fmt.Sprint(rel[0].ID)), "not back in the health set")
}

func TestFreezeAndIncidentEntries(t *testing.T) {
	f := newRecentFixture(t)
	f.ok("freeze", "smf1-dense-02", "--reason", "HDFS upgrade", "--until", "8h", "--as", "hal")
	f.ok("unfreeze", "smf1-dense-02", "--reason", "done", "--as", "hal")
	f.ok("incident", "start", "--reason", "INC-1", "--as", "ida")
	f.ok("incident", "stop", "--reason", "fixed", "--as", "ida")

	fr := f.auditEntries("--kind", "freeze,unfreeze")
	require.Len(t, fr, 2)
	assert.Equal(t, []string{"freeze", "smf1-dense-02", "HDFS upgrade", "hal"}, []string{fr[0].Kind, fr[0].Expr, fr[0].Reason, fr[0].Requester})
	assert.Equal(t, []string{"unfreeze", "smf1-dense-02", "done"}, []string{fr[1].Kind, fr[1].Expr, fr[1].Reason})
	inc := f.auditEntries("--kind", "incident")
	require.Len(t, inc, 2)
	assert.Equal(t, []string{"incident-start", "INC-1", "ida"}, []string{inc[0].Kind, inc[0].Reason, inc[0].Requester})
	assert.Equal(t, "incident-stop", inc[1].Kind)
	assert.Len(t, f.auditEntries("--kind", "incident-start"), 1)
}

func TestAuditKindIsValidated(t *testing.T) {
	f := newRecentFixture(t)
	stderr := f.fail(2, "audit", "--kind", "decision,aply")
	assert.Contains(t, stderr, `--kind "aply": unknown audit kind (did you mean apply?)`)
	assert.Contains(t, stderr, "lease-expired")
}

// TestLeaseExpiryIsRecordedByTheNextWrite puts a lease that expired an
// hour ago into the database: a read-only command sees it and cannot
// record it; the next writing command records it, once.
func TestLeaseExpiryIsRecordedByTheNextWrite(t *testing.T) {
	f := newRecentFixture(t)
	start := time.Now().UTC().Add(-25 * time.Hour).Truncate(time.Second)
	putLease(t, f.db, store.Lease{Host: "zk01.ams1", Verb: "reboot", Cluster: "ams1-zk-01", Requester: "jo",
		Reason: "kernel", Start: start, Expiry: start.Add(24 * time.Hour), Audit: 7})

	storetest.RequireNoChange(t, f.db, func() {
		assert.Len(t, f.leases("--all"), 1)
		assert.Empty(t, f.auditEntries("--kind", "lease-expired"))
	})
	f.ok("freeze", "ams1-zk-01", "--reason", "x", "--as", "kim")
	f.ok("drain", zk, "--reason", "y")
	exp := f.auditEntries("--kind", "lease-expired")
	require.Len(t, exp, 1, "recorded once, by the first write that saw it")
	e := exp[0]
	assert.Equal(t, "kim", e.Requester, "the command that saw it")
	assert.Equal(t, "zk01.ams1", e.Expr)
	require.NotNil(t, e.Lease)
	assert.Equal(t, "jo", e.Lease.Requester)
	assert.Equal(t, int64(7), e.Lease.Audit)
	assert.True(t, e.Lease.Expiry.Equal(start.Add(24*time.Hour)))
	all := f.auditEntries()
	assert.Equal(t, "lease-expired", all[0].Kind, "recorded before the freeze that saw it")
	assert.Contains(t, f.ok("audit", "show", fmt.Sprint(e.ID)), "lease zk01.ams1 reboot held by jo (audit 7)")
}

func putLease(t *testing.T, path string, l store.Lease) {
	db, err := store.Open(path, store.Options{Owner: "audit_test"})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *store.Tx) error { return tx.PutLeases([]store.Lease{l}) }))
}

// auditLogOf writes a log of five entries: two dry runs, a commit, a
// freeze and an unfreeze.
func auditLogOf(f *actionFixture) {
	f.ok("reboot", zk, "--reason", "a")
	f.ok("reboot", zk, "--reason", "b")
	f.ok("reboot", zk, "--reason", "c", "--commit", "--yes")
	f.ok("freeze", "all", "--reason", "d")
	f.ok("unfreeze", "all")
}

func TestAuditVerifyPassesOnACleanLog(t *testing.T) {
	f := newRecentFixture(t)
	assert.Contains(t, f.ok("audit", "verify"), "0 entries")
	auditLogOf(f)
	storetest.RequireNoChange(t, f.db, func() {
		assert.Contains(t, f.ok("audit", "verify"), "audit log verified: 5 entries, 5 chained")
	})
	var r store.AuditCheck
	require.NoError(t, json.Unmarshal([]byte(f.ok("audit", "verify", "--format", "json")), &r))
	assert.Empty(t, r.Problems)
	es := f.auditEntries()
	for _, e := range es {
		assert.Len(t, e.Prev, 64, "entry %d holds a SHA-256", e.ID)
	}
}

func TestAuditVerifyDetectsAnEditedEntry(t *testing.T) {
	f := newRecentFixture(t)
	auditLogOf(f)
	editAudit(t, f.db, func(b *bolt.Bucket) {
		v := auditJSON(b, 2)
		require.Contains(t, v, `"reason":"b"`)
		putSealed(t, b, 2, strings.Replace(v, `"reason":"b"`, `"reason":"B"`, 1))
	})
	out, stderr, code := f.run("audit", "verify")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "audit entry 3: hash mismatch (edited or removed entry before it)")
	assert.Contains(t, stderr, "audit entry 3: hash mismatch")
	assert.NotContains(t, out, "audit entry 2:")
}

// A hand edit that leaves the checksum as it was is found on every read,
// not only by verify.
func TestAuditReadRefusesADamagedEntry(t *testing.T) {
	f := newRecentFixture(t)
	auditLogOf(f)
	intact, err := os.ReadFile(f.db)
	require.NoError(t, err)
	editAudit(t, f.db, func(b *bolt.Bucket) {
		v := append([]byte(nil), b.Get(auditKey(2))...)
		i := bytes.Index(v, []byte(`"reason":"b"`))
		require.Positive(t, i)
		v[i+10] = 'B'
		require.NoError(t, b.Put(auditKey(2), v))
	})
	_, stderr, code := f.run("audit")
	assert.Equal(t, 1, code)
	assert.Equal(t, "fleetq: audit entry 2: corrupt data: checksum mismatch\n", stderr)
	out, _, code := f.run("audit", "verify")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "audit entry 2: its checksum does not match (damaged, or edited by hand)")
	out, _, code = f.run("check")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "FAIL  store: audit entry 2: corrupt data: checksum mismatch")
	require.NoError(t, os.WriteFile(f.db, intact, 0o644)) // for the cleanup's check of the fixture
}

func TestAuditVerifyDetectsARemovedEntry(t *testing.T) {
	f := newRecentFixture(t)
	auditLogOf(f)
	editAudit(t, f.db, func(b *bolt.Bucket) { require.NoError(t, b.Delete(auditKey(3))) })
	out, _, code := f.run("audit", "verify")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "audit entry 4: hash mismatch (edited or removed entry before it): entries 3–3 are missing")
}

func TestAuditVerifyDetectsAnEditedOrRemovedLastEntry(t *testing.T) {
	f := newRecentFixture(t)
	auditLogOf(f)
	intact, err := os.ReadFile(f.db)
	require.NoError(t, err)
	editAudit(t, f.db, func(b *bolt.Bucket) {
		putSealed(t, b, 5, strings.Replace(auditJSON(b, 5), `"requester":"`, `"requester":"x`, 1))
	})
	out, _, code := f.run("audit", "verify")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "audit entry 5: hash mismatch with the log's head")

	editAudit(t, f.db, func(b *bolt.Bucket) { require.NoError(t, b.Delete(auditKey(5))) })
	out, _, code = f.run("audit", "verify")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "audit entry 5: missing: the log was written up to entry 5")
	out, _, code = f.run("check")
	assert.Equal(t, 1, code, "check sees the log's counter past its last entry")
	assert.Contains(t, out, "its counter says 5, its last entry is 4")
	require.NoError(t, os.WriteFile(f.db, intact, 0o644)) // for the cleanup's check of the fixture
}

func TestAuditVerifyDetectsReorderedEntries(t *testing.T) {
	f := newRecentFixture(t)
	auditLogOf(f)
	editAudit(t, f.db, func(b *bolt.Bucket) {
		two, three := auditJSON(b, 2), auditJSON(b, 3)
		putSealed(t, b, 2, three)
		putSealed(t, b, 3, two)
	})
	out, _, code := f.run("audit", "verify")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "audit entry 2: its id field says 3 (edited or reordered)")
	assert.Contains(t, out, "audit entry 2: hash mismatch (edited or removed entry before it)")
}

// An older fleetq wrote entries without prev hashes and no head: they are
// reported as unchained, and the chain starts at the first new entry.
func TestAuditVerifyReportsEntriesOfAnOlderFleetqAsUnchained(t *testing.T) {
	f := newRecentFixture(t)
	f.ok("reboot", zk, "--reason", "a")
	f.ok("reboot", zk, "--reason", "b")
	editAudit(t, f.db, func(b *bolt.Bucket) {
		for _, id := range []uint64{1, 2} {
			var e map[string]any
			require.NoError(t, json.Unmarshal([]byte(auditJSON(b, id)), &e))
			delete(e, "prev")
			data, err := json.Marshal(e)
			require.NoError(t, err)
			require.NoError(t, b.Put(auditKey(id), data))
		}
	}, "audit_head")
	f.ok("reboot", zk, "--reason", "c")
	out := f.ok("audit", "verify")
	assert.Contains(t, out, "audit entries 1–2: unchained (written by an older fleetq)")
	assert.Contains(t, out, "audit log verified: 3 entries, 1 chained")
}

func auditKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// auditJSON is entry id's JSON without the checksum trailer fleetq seals
// every record with (JSON, NUL, "c32", a crc32c of key and JSON).
func auditJSON(b *bolt.Bucket, id uint64) string {
	v := b.Get(auditKey(id))
	if i := bytes.LastIndex(v, []byte("\x00c32")); i >= 0 && i == len(v)-8 {
		v = v[:i]
	}
	return string(v)
}

// putSealed stores an entry as a careful forger would: with a checksum
// that matches, so only the hash chain can tell.
func putSealed(t *testing.T, b *bolt.Bucket, id uint64, data string) {
	k := auditKey(id)
	sum := crc32.Update(crc32.Checksum(k, crc32.MakeTable(crc32.Castagnoli)), crc32.MakeTable(crc32.Castagnoli), []byte(data))
	v := binary.BigEndian.AppendUint32(append([]byte(data), "\x00c32"...), sum)
	require.NoError(t, b.Put(k, v))
}

// editAudit changes the audit bucket's bytes directly with bbolt, as a
// hand edit would, and deletes the given keys of the ledger bucket.
func editAudit(t *testing.T, path string, fn func(*bolt.Bucket), ledgerKeys ...string) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		fn(tx.Bucket([]byte("audit")))
		for _, k := range ledgerKeys {
			if err := tx.Bucket([]byte("ledger")).Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	}))
}
