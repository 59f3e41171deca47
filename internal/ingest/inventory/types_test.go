package inventory

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// boolCSV is an inventory whose hadoop_exclude column has n rows of
// true/false and, at the rows of odd (1-based data rows), those words.
func boolCSV(n int, odd map[int]string, quoted bool) string {
	var b strings.Builder
	b.WriteString("host,role,hadoop_exclude\n")
	for i := 1; i <= n; i++ {
		v, ok := odd[i]
		if !ok {
			v = fmt.Sprint(i%3 == 0)
		}
		role := "r"
		if quoted {
			role = `"r, x"`
		}
		fmt.Fprintf(&b, "h%03d,%s,%s\n", i, role, v)
	}
	return b.String()
}

// The bool rule (inventory_types.go) on both CSV paths: the fast path
// (no quote in the file) and encoding/csv.
func TestBoolColumnRule(t *testing.T) {
	for _, tt := range []struct {
		name string
		n    int
		odd  map[int]string
		want string // the type of hadoop_exclude, or the error
	}{
		{"all true/false", 20, nil, "bool"},
		{"any case", 20, map[int]string{4: "TRUE", 5: "False"}, "bool"},
		{"one yes", 20, map[int]string{16: "yes"},
			`inv.csv:17: column hadoop_exclude: "yes" is not true or false (expected a bool: 19 of the column's 20 values are true or false)`},
		{"the first odd value is reported", 20, map[int]string{7: "1", 12: "no"},
			`inv.csv:8: column hadoop_exclude: "1" is not true or false (expected a bool: 18 of the column's 20 values are true or false)`},
		{"empty cells are no value", 5, map[int]string{1: "", 2: "", 3: "oops"},
			`inv.csv:4: column hadoop_exclude: "oops" is not true or false (expected a bool: 2 of the column's 3 values are true or false)`},
		{"half is not most: string", 4, map[int]string{1: "yes", 2: "no"}, "string"},
		{"yes/no is a string column", 3, map[int]string{1: "yes", 2: "no", 3: "yes"}, "string"},
		{"numbers stay numbers", 3, map[int]string{1: "0", 2: "1", 3: "1"}, "number"},
	} {
		for _, quoted := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/quoted=%t", tt.name, quoted), func(t *testing.T) {
				src, err := Parse("inv.csv", []byte(boolCSV(tt.n, tt.odd, quoted)))
				if strings.HasPrefix(tt.want, "inv.csv:") {
					require.EqualError(t, err, tt.want)
					assert.Nil(t, src)
					return
				}
				require.NoError(t, err)
				require.Len(t, src.Attrs, 2)
				col := src.Attrs[1]
				require.Equal(t, "hadoop_exclude", col.Name)
				assert.Equal(t, tt.want, col.Type.String())
			})
		}
	}
}

// In JSON lines the JSON type decides; a string in a bool field is an
// error at its line.
func TestJSONLBoolField(t *testing.T) {
	data := `{"host":"a","hadoop_exclude":true}
{"host":"b","hadoop_exclude":false}
{"host":"c","hadoop_exclude":"yes"}
`
	_, err := Parse("inv.jsonl", []byte(data))
	require.EqualError(t, err, `inv.jsonl:3: field "hadoop_exclude": "yes" is not true or false (expected a JSON bool, as on an earlier line)`)
}
