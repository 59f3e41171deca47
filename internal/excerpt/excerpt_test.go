package excerpt

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestText(t *testing.T) {
	long := strings.Repeat("a", 100<<20)
	for _, tc := range []struct {
		format string
		arg    any
		want   string
	}{
		{"%q", Text("web01"), `"web01"`},
		{"%s", Text("web01"), `web01`},
		{"%q", Text(long), `"` + strings.Repeat("a", Max) + `"… (104857600 bytes)`},
		{"%v", Text(long), strings.Repeat("a", Max) + `… (104857600 bytes)`},
		// a cut never splits a character: 79 bytes, then a 3-byte "€"
		{"%q", Text(strings.Repeat("b", 79) + strings.Repeat("€", 10)), `"` + strings.Repeat("b", 79) + `"… (109 bytes)`},
	} {
		assert.Equal(t, tc.want, fmt.Sprintf(tc.format, tc.arg), tc.format)
	}
	assert.Equal(t, `"`+strings.Repeat("a", Max)+`"… (104857600 bytes)`, Quote(long))
}

func TestArgs(t *testing.T) {
	long := strings.Repeat("x", 1000)
	args := []any{"short", long, []byte(long), 7}
	got := fmt.Sprintf("%q %q %s %d", Args(args)...)
	x80 := strings.Repeat("x", Max)
	assert.Equal(t, `"short" "`+x80+`"… (1000 bytes) `+x80+`… (1000 bytes) 7`, got)
	assert.Equal(t, long, args[1], "the caller's slice is not changed")
	short := []any{"a", 1}
	assert.Equal(t, short, Args(short))
}
