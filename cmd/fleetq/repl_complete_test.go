package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func testVocab() *vocab {
	return &vocab{
		sets:     []string{"all", "dead-reboot", "hadoop_exclude", "inventory", "responsive"},
		attrs:    []string{"cluster", "hadoop_exclude", "hdfs.state", "rack", "role"},
		passes:   []string{"1", "2", "3"},
		commands: []string{"diff", "drain", "host", "passes"},
		values: func(attr string) []string {
			switch attr {
			case "role":
				return []string{`"db"`, `"hadoop-worker"`, `"web"`}
			case "hdfs.state":
				return []string{`"dead"`, `"decommissioned"`, `"normal"`}
			}
			return nil
		},
	}
}

func TestVocabComplete(t *testing.T) {
	tests := []struct {
		line, head string
		want       []string
	}{
		{"all - hadoop_ex", "all - ", []string{"hadoop_exclude"}},
		{"hadoop_ex", "", []string{"hadoop_exclude"}},
		{"dr", "", []string{"drain"}},                    // verbs at the start
		{"all - dr", "all - ", nil},                      // not after an operator
		{"all - dea", "all - ", []string{"dead-reboot"}}, // names with '-'
		{"role = ", "role = ", []string{`"db"`, `"hadoop-worker"`, `"web"`}},
		{"role = h", "role = ", []string{`"hadoop-worker"`}},
		{`role != "w`, "role != ", []string{`"web"`}},
		{"role <= ", "role <= ", []string{"all", "cluster", "dead-reboot", "hadoop_exclude", "hdfs.state", "inventory", "rack", "responsive", "role"}},
		{"hdfs.state in (dead, de", "hdfs.state in (dead, ", []string{`"dead"`, `"decommissioned"`}},
		{"hdfs.state notin (", "hdfs.state notin (", []string{`"dead"`, `"decommissioned"`, `"normal"`}},
		{"all | s", "all | ", []string{"sample", "show", "split", "spread", "stratify"}},
		{"all |", "all |", []string{"by", "count", "head", "sample", "show", "split", "spread", "stratify", "where"}},
		{"all | by r", "all | by ", []string{"rack", "role"}},
		{"all | show role,c", "all | show role,", []string{"cluster"}},
		{"all | sample 5% s", "all | sample 5% ", []string{"stable"}},
		{"all | where ro", "all | where ", []string{"role"}},
		{"all | where role = w", "all | where role = ", []string{`"web"`}},
		{"all | count | ", "all | count | ", []string{"by", "count", "head", "sample", "show", "split", "spread", "stratify", "where"}},
		{"responsive@", "responsive@", []string{"-1", "-2", "3", "2", "1"}},
		{"(role = \"web\") - inv", "(role = \"web\") - ", []string{"inventory"}},
		{"role e", "role ", []string{"exists"}},
		{`"dn0`, "", nil}, // host literals are not listed
		{":pa", "", []string{":pass", ":passes"}},
		{":pass ", ":pass ", []string{"latest", "-1", "+1", "3", "2", "1"}},
		{":explain all - hadoop_e", ":explain all - ", []string{"hadoop_exclude"}},
		{":why dn01.smf1 resp", ":why dn01.smf1 ", []string{"responsive"}},
		{":format j", ":format ", []string{"json"}},
		{"host dn0", "host dn0", nil},
	}
	v := testVocab()
	for _, tt := range tests {
		head, got, tail := v.complete(tt.line, len([]rune(tt.line)))
		require.Equal(t, tt.head, head, tt.line)
		require.Equal(t, tt.want, got, tt.line)
		require.Empty(t, tail, tt.line)
	}
}

func TestVocabCompleteMidLine(t *testing.T) {
	line := "all - hadoop_ex | count"
	head, got, tail := testVocab().complete(line, len("all - hadoop_ex"))
	require.Equal(t, "all - ", head)
	require.Equal(t, []string{"hadoop_exclude"}, got)
	require.Equal(t, " | count", tail)
}

func TestSplitWords(t *testing.T) {
	w, err := splitWords(`drain 'all - x | sample 2' --reason "disk \"bad\"" a\ b`)
	require.NoError(t, err)
	require.Equal(t, []string{"drain", "all - x | sample 2", "--reason", `disk "bad"`, "a b"}, w)
	_, err = splitWords(`drain 'all`)
	require.Error(t, err)
}

func TestPickPass(t *testing.T) {
	// see TestREPLPassMoves for the database-backed cases
	_, err := pickPass(nil, 0, "1")
	require.Error(t, err)
}
