package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetq/fleetq/internal/store/storetest"
)

// schemaFixture ingests four hosts with a value-indexed string, a string
// column of unique serials (one host without), a number column with a
// repeated value and a -0, and a bool; and a host list with no attributes.
func schemaFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "fleetq.db")
	inv := "host,role,cluster,hadoop_exclude,serial,rank\n" +
		"dn01.smf1,hadoop-worker,smf1-a,false,SN1,1\n" +
		"dn02.smf1,hadoop-worker,smf1-a,true,SN2,2\n" +
		"dn03.smf1,hadoop-worker,smf1-b,false,SN3,2\n" +
		"web01.smf1,web,smf1-a,false,,-0\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inventory.csv"), []byte(inv), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "responsive"), []byte("dn01.smf1\ndn02.smf1\n"), 0o644))
	replRun(t, db, "", "ingest", "--at", "2026-11-20T10:00:00Z", filepath.Join(dir, "inventory.csv"), filepath.Join(dir, "responsive"))
	return db
}

const schemaText = `ATTRIBUTE       TYPE    SOURCE               HOSTS  DISTINCT  EXAMPLES
cluster         string  inventory:inventory      4         2  smf1-a (3), smf1-b (1)
hadoop_exclude  bool    inventory:inventory      4         2  false (3), true (1)
rank            number  inventory:inventory      4         3  2 (2), 0 (1), 1 (1)
role            string  inventory:inventory      4         2  hadoop-worker (3), web (1)
serial          string  inventory:inventory      3         3  SN1 (1), SN2 (1), SN3 (1)
`

func TestSchemaText(t *testing.T) {
	db := schemaFixture(t)
	storetest.RequireNoChange(t, db, func() {
		require.Equal(t, schemaText, replRun(t, db, "", "schema"))
	})
}

func TestSchemaCSV(t *testing.T) {
	db := schemaFixture(t)
	require.Equal(t, `attribute,type,source,hosts,distinct,examples
cluster,string,inventory:inventory,4,2,"smf1-a (3), smf1-b (1)"
hadoop_exclude,bool,inventory:inventory,4,2,"false (3), true (1)"
rank,number,inventory:inventory,4,3,"2 (2), 0 (1), 1 (1)"
role,string,inventory:inventory,4,2,"hadoop-worker (3), web (1)"
serial,string,inventory:inventory,3,3,"SN1 (1), SN2 (1), SN3 (1)"
`, replRun(t, db, "", "schema", "--format", "csv"))
}

func TestSchemaJSON(t *testing.T) {
	db := schemaFixture(t)
	require.JSONEq(t, `{"pass": 1, "attributes": [
	  {"name": "cluster", "type": "string", "source": "inventory:inventory", "hosts": 4, "distinct": 2,
	   "examples": [{"value": "smf1-a", "hosts": 3}, {"value": "smf1-b", "hosts": 1}]},
	  {"name": "hadoop_exclude", "type": "bool", "source": "inventory:inventory", "hosts": 4, "distinct": 2,
	   "examples": [{"value": "false", "hosts": 3}, {"value": "true", "hosts": 1}]},
	  {"name": "rank", "type": "number", "source": "inventory:inventory", "hosts": 4, "distinct": 3,
	   "examples": [{"value": "2", "hosts": 2}, {"value": "0", "hosts": 1}, {"value": "1", "hosts": 1}]},
	  {"name": "role", "type": "string", "source": "inventory:inventory", "hosts": 4, "distinct": 2,
	   "examples": [{"value": "hadoop-worker", "hosts": 3}, {"value": "web", "hosts": 1}]},
	  {"name": "serial", "type": "string", "source": "inventory:inventory", "hosts": 3, "distinct": 3,
	   "examples": [{"value": "SN1", "hosts": 1}, {"value": "SN2", "hosts": 1}, {"value": "SN3", "hosts": 1}]}
	]}`, replRun(t, db, "", "schema", "--format", "json"))
}

func TestSchemaRefusesFoldedAndUnknownPass(t *testing.T) {
	db := schemaFixture(t)
	out, errOut, code := fqBin(t, db, "schema", "--format", "folded")
	require.Equal(t, exitUsage, code)
	require.Empty(t, out)
	require.Equal(t, "fleetq: schema: --format folded is not supported (use text, json or csv; folded is for host sets)\n", errOut)

	_, errOut, code = replRunCode(db, "", "schema", "--pass", "7")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "pass 7: no such pass")
}

func TestREPLSchemaMeta(t *testing.T) {
	db := schemaFixture(t)
	require.Equal(t, schemaText, replRun(t, db, ":schema\n", "repl"))
	out, errOut, code := replRunCode(db, ":format folded\n:schema\n", "repl")
	require.Equal(t, exitFailure, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "line 2: schema: --format folded is not supported")
}
