package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

const bashBreaks = " \t\n\"'><=;|&(:@"

func TestSplitLineAsBashDoes(t *testing.T) {
	for _, tc := range []struct {
		line   string
		values []string
		quote  byte
		rl     string // what readline replaces
	}{
		{"fleetq query 'all - hadoop_ex", []string{"fleetq", "query", "all - hadoop_ex"}, '\'', "all - hadoop_ex"},
		{`fleetq query "role = \"web`, []string{"fleetq", "query", `role = "web`}, '"', `role = \"web`},
		{"fleetq  host ", []string{"fleetq", "host", ""}, 0, ""},
		{"fleetq query --format=js", []string{"fleetq", "query", "--format=js"}, 0, "js"},
		{`fleetq a\ b dead@`, []string{"fleetq", "a b", "dead@"}, 0, ""},
		{"fleetq 'a b'c", []string{"fleetq", "a bc"}, 0, "a b'c"},
	} {
		words := splitLine(tc.line, bashBreaks)
		require.Equal(t, tc.values, wordValues(words), tc.line)
		cur := words[len(words)-1]
		require.Equal(t, tc.quote, cur.quote, tc.line)
		require.Equal(t, tc.rl, cur.raw[cur.rlFrom:], tc.line)
	}
}

func TestRenderBash(t *testing.T) {
	const expr = cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	cur := splitLine("fleetq query 'all - hadoop_ex", bashBreaks)[2]
	// The only match, inside a quote: twice, so readline does not close the quote.
	require.Equal(t, []string{"nospace nofiles", "all - hadoop_exclude", "all - hadoop_exclude "},
		renderBash(cur, '\t', []string{"all - hadoop_exclude"}, expr))
	cur = splitLine("fleetq query 'all - ", bashBreaks)[2]
	cands := []string{"all - dead", "all - hadoop_exclude"}
	require.Equal(t, []string{"nospace nofiles", "all - dead", "all - hadoop_exclude"}, renderBash(cur, '\t', cands, expr))
	require.Equal(t, []string{"nospace nofiles", "dead", "hadoop_exclude"}, renderBash(cur, '?', cands, expr), "the list shows names")
	cur = splitLine("fleetq query --format=j", bashBreaks)[2]
	require.Equal(t, []string{"nofiles", "json"},
		renderBash(cur, '\t', []string{"csv", "json"}, cobra.ShellCompDirectiveNoFileComp), "--flag=: values only, filtered")
	cur = splitLine(`fleetq query role=`, bashBreaks)[2]
	require.Equal(t, []string{"nospace nofiles", `\"web\"`}, renderBash(cur, '\t', []string{`role="web"`}, expr), "unquoted: escaped")
	require.Equal(t, []string{"nofiles"}, renderBash(cur, '\t', []string{"x"}, cobra.ShellCompDirectiveError))
}

func TestRenderZsh(t *testing.T) {
	const expr = cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	require.Equal(t, []string{"nospace nofiles", ">all - ", "dead", "hadoop_exclude"},
		renderZsh(shellWord{value: "all - "}, []string{"all - dead", "all - hadoop_exclude"}, expr))
	require.Equal(t, []string{"nospace nofiles", `>role = `, `"web"`},
		renderZsh(shellWord{value: `role = "w`}, []string{`role = "web"`}, expr))
	require.Equal(t, []string{"", ">"}, renderZsh(shellWord{value: "x"}, nil, cobra.ShellCompDirectiveDefault))
}

func TestShellCompleteCommand(t *testing.T) {
	db, _ := replFixture(t)
	t.Setenv("FLEETQ_DB", db)
	out := shellComplete(t, "bash", "9", bashBreaks, "fleetq 'all - hadoop_ex")
	require.Equal(t, "nospace nofiles\nall - hadoop_exclude\nall - hadoop_exclude \n", out, "the short form")
	out = shellComplete(t, "zsh", "--db", db, "why", "dn0")
	require.Equal(t, "nofiles\n>\ndn01.smf1\ndn02.smf1\ndn03.smf1\n", out)
	out = shellComplete(t, "zsh", "que")
	require.Equal(t, "nofiles\n>\nquery\n", out, "a first word that is a name completes commands")
	out = shellComplete(t, "zsh", "--db", filepath.Join(t.TempDir(), "none.db"), "host", "")
	require.Equal(t, "nofiles\n>\n", out, "no database: no candidates, quietly")
}

// shellComplete runs the hidden command as the scripts do: first on the
// line, every flag inside the completed line.
func shellComplete(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"__shellcomplete"}, args...), strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	require.Empty(t, errOut.String())
	return out.String()
}
