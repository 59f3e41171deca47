package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A missing --db is created by the first ingest, or by a writing command
// given --create, and the command says so on stderr. Every other writing
// command refuses, says what to do, and leaves no file behind.
func TestMissingDatabaseIsCreatedOnlyByIngestOrCreate(t *testing.T) {
	dir := t.TempDir()
	defs := filepath.Join(dir, "fleet.defs")
	require.NoError(t, os.WriteFile(defs, []byte("big = all\n"), 0o644))
	missing := filepath.Join(dir, "typo.db")
	hint := "fleetq: " + missing + ": no such database (check --db or $FLEETQ_DB; the first fleetq ingest creates it"
	for _, args := range [][]string{
		{"defs", "set", defs},
		{"freeze", "all", "--reason", "x"},
		{"incident", "start", "--reason", "x"},
		{"gc", "--keep-last", "1", "--yes"},
		{"query", "all"},
	} {
		_, errOut, code := fqBin(t, missing, args...)
		assert.Equal(t, 1, code, "%v", args)
		assert.Contains(t, errOut, hint, "%v", args)
		assert.NoFileExists(t, missing, "%v", args)
	}
	_, errOut, _ := fqBin(t, missing, "freeze", "all", "--reason", "x")
	assert.Contains(t, errOut, "or give --create to start an empty one)", "a writer that can start an empty file says how")

	out, errOut, code := fqBin(t, missing, "--create", "defs", "set", defs)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "fleetq: created database "+missing+"\n", errOut)
	assert.Contains(t, out, "kept 1 definitions")
	_, errOut, code = fqBin(t, missing, "--create", "defs", "set", defs)
	require.Equal(t, 0, code, errOut)
	assert.Empty(t, errOut, "an existing file is not announced")

	inv := filepath.Join(dir, "inventory.csv")
	writeBigInventory(t, inv, 10, 0)
	fresh := filepath.Join(dir, "fresh.db")
	out, errOut, code = fqBin(t, fresh, "ingest", inv)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "fleetq: created database "+fresh+"\n", errOut)
	assert.Contains(t, out, "pass 1 sealed: 10 hosts")
	_, errOut, code = fqBin(t, fresh, "ingest", inv)
	require.Equal(t, 0, code, errOut)
	assert.Empty(t, errOut)
}

// A failed first ingest creates no file: the sources are parsed first.
func TestFailedFirstIngestCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "inventory.csv")
	require.NoError(t, os.WriteFile(bad, []byte("host,role\na,x,y\n"), 0o644))
	db := filepath.Join(dir, "f.db")
	_, errOut, code := fqBin(t, db, "ingest", bad)
	assert.Equal(t, 1, code)
	assert.Equal(t, "fleetq: "+bad+":2: wrong number of fields (expected as many as the header row)\n", errOut)
	assert.NoFileExists(t, db)
}
